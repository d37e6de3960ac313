"""``benchmark.py --attention``: the fused kernel (``sdpa``) against the
explicit matmuls (``math``) over a grid of lengths, heads and dtypes, with
the crossover and what ``attn_impl='auto'`` picks; ``--plot`` draws the
speed-ups beside the table."""
import statistics

import torch

from benchmark_common import device_name, progress, setting_dtype, timed


def attention_grid(args):
    """``--attention``: forward and forward+backward milliseconds of each
    implementation for every cell of the grid, taken in turn over
    ``--rounds`` (medians), and the table."""
    from mmvit_ext.models.layers import attend, choose_attn_impl
    device = torch.device(args.device)
    dtypes = sorted({setting_dtype(s, args) for s in args.settings},
                    key=str)
    rows = []
    cells = len(dtypes) * len(args.heads_dims) * len(args.tokens)
    for dtype in dtypes:
        for heads, dim in args.heads_dims:
            for tokens in args.tokens:
                name = str(dtype).replace('torch.', '')
                progress(f'[{len(rows) + 1}/{cells}] {name} {heads}x{dim} '
                         f'at {tokens} tokens: {args.rounds} round(s) of '
                         f'{args.iters} calls per path and pass')
                shape = (args.batch_size, heads, tokens, dim)
                q, k, v = (torch.randn(shape, device=device, dtype=dtype,
                                       requires_grad=True)
                           for _ in range(3))
                grad = torch.randn(shape, device=device, dtype=dtype)

                def fwd(impl):
                    with torch.no_grad():
                        attend(q, k, v, impl=impl)

                def fwd_bwd(impl):
                    attend(q, k, v, impl=impl).backward(grad)

                times = {(impl, mode.__name__): [] for impl in ('sdpa',
                                                                'math')
                         for mode in (fwd, fwd_bwd)}
                for _ in range(args.rounds):
                    for (impl, name), runs in times.items():
                        mode = fwd if name == 'fwd' else fwd_bwd
                        runs.append(1e3 * timed(lambda: mode(impl),
                                                args.iters, device))
                row = {key: statistics.median(runs)
                       for key, runs in times.items()}
                row.update(dtype=str(dtype).replace('torch.', ''),
                           heads=heads, dim=dim, tokens=tokens,
                           auto=choose_attn_impl(q),
                           auto_fwd=choose_attn_impl(q.detach()))
                rows.append(row)
                up, up_fwd = (row[('sdpa', m)] / row[('math', m)]
                              for m in ('fwd_bwd', 'fwd'))
                progress(f'[{len(rows)}/{cells}] math speed-up {up:.2f}x '
                         f'fwd+bwd, {up_fwd:.2f}x fwd')
    print_attention_table(rows, args)
    if args.plot:
        plot_crossover(rows, args.plot)
        print(f'plot: {args.plot}')


def print_attention_table(rows, args):
    print(f'attention alone on {args.device} ({device_name(args.device)}), '
          f'batch {args.batch_size}: '
          f'ms per call, median of {args.rounds} round(s) of {args.iters} '
          'timed calls; speed-up = sdpa / math time')
    print('| dtype | heads | head dim | tokens | sdpa fwd+bwd | '
          'math fwd+bwd | math speed-up | sdpa fwd | math fwd | '
          'math speed-up fwd | faster | auto | faster fwd | auto fwd |')
    print('|' + '---|' * 14)
    for r in rows:
        up, up_fwd = (r[('sdpa', m)] / r[('math', m)]
                      for m in ('fwd_bwd', 'fwd'))
        print(f"| {r['dtype']} | {r['heads']} | {r['dim']} | {r['tokens']} "
              f"| {r[('sdpa', 'fwd_bwd')]:.2f} | {r[('math', 'fwd_bwd')]:.2f}"
              f" | {up:.2f}x | {r[('sdpa', 'fwd')]:.2f} | "
              f"{r[('math', 'fwd')]:.2f} | {up_fwd:.2f}x | "
              f"{'math' if up > 1 else 'sdpa'} | {r['auto']} | "
              f"{'math' if up_fwd > 1 else 'sdpa'} | {r['auto_fwd']} |")
    for mode in ('fwd_bwd', 'fwd'):
        for dtype in dict.fromkeys(r['dtype'] for r in rows):
            for heads, dim in args.heads_dims:
                cells = [r for r in rows if (r['dtype'], r['heads'],
                                             r['dim']) == (dtype, heads, dim)]
                wins = [r['tokens'] for r in cells
                        if r[('math', mode)] < r[('sdpa', mode)]]
                loses = [r['tokens'] for r in cells
                         if r['tokens'] not in wins]
                where = (f'math faster up to {max(wins)} tokens' if wins and
                         (not loses or max(wins) < min(loses)) else
                         f'math faster at {wins}' if wins else
                         'sdpa faster at every length')
                print(f"crossover {dtype} {heads}x{dim} "
                      f"({mode.replace('_', '+')}): {where}")
    for mode, auto in (('fwd_bwd', 'auto'), ('fwd', 'auto_fwd')):
        agree = sum((r[auto] == 'math') == (r[('math', mode)] <
                                            r[('sdpa', mode)])
                    for r in rows)
        print(f"auto picks the faster {mode.replace('_', '+')} (training "
              f"{'step' if mode == 'fwd_bwd' else 'off: inference'}) in "
              f"{agree} of {len(rows)} cells")



def plot_crossover(rows, path):
    """The math path's speed-up over the fused kernel against the sequence
    length, one panel per pass (training, inference) and one line per dtype
    and heads x dim; above 1 the matmuls are faster. Written atomically."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmvit_ext.utils import atomic_write
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, (mode, title) in zip(axes, (('fwd_bwd', 'training step '
                                         '(forward + backward)'),
                                        ('fwd', 'inference (forward)'))):
        lines = dict.fromkeys((r['dtype'], r['heads'], r['dim'])
                              for r in rows)
        for dtype, heads, dim in lines:
            cells = sorted((r for r in rows if (r['dtype'], r['heads'],
                                                r['dim']) == (dtype, heads,
                                                              dim)),
                           key=lambda r: r['tokens'])
            ax.plot([r['tokens'] for r in cells],
                    [r[('sdpa', mode)] / r[('math', mode)] for r in cells],
                    marker='o', linestyle='-' if dtype == 'bfloat16' else
                    '--', label=f'{dtype} {heads}x{dim}')
        ax.axhline(1, color='black', linewidth=0.8)
        ax.set_xscale('log')
        ax.set_xlabel('tokens')
        ax.set_title(title)
    axes[0].set_ylabel('math speed-up over sdpa (>1: math faster)')
    axes[1].legend(fontsize='small')
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format='png', dpi=100)
    plt.close(fig)
