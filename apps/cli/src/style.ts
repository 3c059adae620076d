/**
 * Terminal styling for human output. Colour only when the stream is a TTY and `NO_COLOR` is unset
 * (no-color.org); `FORCE_COLOR` forces it on.
 */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const wrap = (on: boolean, open: number, close: number) => (text: string) =>
  on ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export function createStyle(color: boolean): Style {
  return {
    bold: wrap(color, 1, 22),
    dim: wrap(color, 2, 22),
    green: wrap(color, 32, 39),
    red: wrap(color, 31, 39),
    yellow: wrap(color, 33, 39),
    cyan: wrap(color, 36, 39),
  };
}
