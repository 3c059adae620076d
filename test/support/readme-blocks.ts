// The fenced code blocks of a README, each with the line it starts on and the `ts-example` marker before it
// (docs/contributing.md "Comments and docs"). Hand-written rather than taken from a Markdown parser: the only one
// in the workspace (marked, through cli-highlight) gives tokens without positions, and every failure must point
// at a README line; fenced blocks are one CommonMark rule, a dozen lines.

/** A fenced code block: `line` is the README line of its first code line (1-based). */
export interface CodeBlock {
  /** The first word of the info string (`ts`, `yaml`, …); empty for a bare fence. */
  language: string;
  line: number;
  code: string;
  /** The text of a `<!-- ts-example: … -->` comment on the non-blank line just before the fence. */
  marker: string | undefined;
}

const OPENING = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^\s*<!--\s*ts-example:\s*(.*?)\s*-->\s*$/;

/**
 * Every fenced block of `markdown`, in order. An unclosed fence runs to the end, as CommonMark reads it. A marker
 * followed by anything but a fence throws: a misplaced marker must not silently mark nothing.
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let marker: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const text = lines[i] as string;
    const opening = OPENING.exec(text);
    if (!opening) {
      if (text.trim() === '') continue;
      if (marker)
        throw new Error(`line ${marker.line}: a ts-example marker must come right before a code block`);
      const found = MARKER.exec(text);
      if (found) marker = { text: found[1] as string, line: i + 1 };
      continue;
    }
    const [, indent = '', fence = '', language = ''] = opening;
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const start = i + 1;
    let end = start;
    while (end < lines.length && !closing.test(lines[end] as string)) end += 1;
    // Content lines lose up to the opening fence's indentation (CommonMark).
    const strip = new RegExp(`^ {0,${indent.length}}`);
    const code = lines.slice(start, end).map((line) => line.replace(strip, ''));
    blocks.push({
      language,
      line: start + 1,
      code: code.length > 0 ? `${code.join('\n')}\n` : '',
      marker: marker?.text,
    });
    marker = undefined;
    i = end;
  }
  return blocks;
}
