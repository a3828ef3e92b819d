/**
 * Progress reporting for a training epoch. On a terminal: one line redrawn in place with `\r`
 * (bar, samples/s, loss, accuracy, ETA). Elsewhere (CI logs, pipes): a plain line every tenth
 * of the epoch, so a log file stays short and readable.
 */

/** Where progress goes: a stream and whether it is a terminal. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

/** The numbers one progress update shows. */
export interface ProgressUpdate {
  /** Steps done in this epoch, out of `total`. */
  done: number;
  total: number;
  /** Running means over the epoch so far. */
  loss: number;
  accuracy: number;
  /** Samples per second over this process's part of the epoch. */
  samplesPerSecond: number;
  /** Seconds left in this epoch's training, estimated from the recent rate. */
  etaSeconds: number;
  lr: number;
}

/** m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Reports one epoch's progress; create one per epoch. */
export class EpochProgress {
  private lastPlainStep = -1;
  private lastDraw = 0;
  private readonly every: number;

  constructor(private readonly sink: ProgressSink, private readonly label: string, totalSteps: number) {
    this.every = Math.max(1, Math.ceil(totalSteps / 10));
  }

  /** Shows an update: redraws the terminal line (at most ~10 times a second), or prints a plain line at each tenth. */
  update(u: ProgressUpdate): void {
    const stats = `${Math.round(u.samplesPerSecond)} img/s  loss ${u.loss.toFixed(4)}  acc ${(100 * u.accuracy).toFixed(2)}%  lr ${u.lr.toExponential(2)}  ETA ${formatDuration(u.etaSeconds)}`;
    if (this.sink.isTTY) {
      const now = performance.now();
      if (now - this.lastDraw < 100 && u.done < u.total) return;
      this.lastDraw = now;
      const width = 24;
      const filled = Math.round((width * u.done) / u.total);
      const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? '=' : '>') : '') + ' '.repeat(width - filled);
      // \x1b[K clears what a longer previous line left behind.
      this.sink.write(`\r${this.label} [${bar}] ${String(u.done).padStart(String(u.total).length)}/${u.total}  ${stats}\x1b[K`);
      return;
    }
    if (u.done === u.total || Math.floor(u.done / this.every) > Math.floor(this.lastPlainStep / this.every)) {
      this.lastPlainStep = u.done;
      this.sink.write(`${this.label} step ${u.done}/${u.total} (${Math.floor((100 * u.done) / u.total)}%)  ${stats}\n`);
    }
  }

  /** Ends the redrawn line, keeping it on screen. */
  finish(): void {
    if (this.sink.isTTY) this.sink.write('\n');
  }
}
