import { describe, expect, it } from 'vitest';
import { codeBlocks } from '../support/readme-blocks.js';

describe('codeBlocks', () => {
  it('finds every fenced block with its language, first code line and content', () => {
    const markdown = [
      '# Title', //              1
      '',
      '```ts', //                3
      'const a = 1;',
      '',
      'const b = 2;',
      '```',
      'Some text with `inline` code.',
      '~~~~yaml title="x"', //   9
      '```',
      'key: value',
      '~~~~',
      '```', //                 13
      'plain',
      '```',
    ].join('\n');
    expect(codeBlocks(markdown)).toEqual([
      { language: 'ts', line: 4, code: 'const a = 1;\n\nconst b = 2;\n', marker: undefined },
      { language: 'yaml', line: 10, code: '```\nkey: value\n', marker: undefined },
      { language: '', line: 14, code: 'plain\n', marker: undefined },
    ]);
  });

  it('strips the indentation of an indented fence from its lines, and runs an unclosed fence to the end', () => {
    expect(codeBlocks('  ```typescript\n  let x = 1;\n    x += 1;\n  ```\n```ts\nopen')).toEqual([
      { language: 'typescript', line: 2, code: 'let x = 1;\n  x += 1;\n', marker: undefined },
      { language: 'ts', line: 6, code: 'open\n', marker: undefined },
    ]);
  });

  it('takes a ts-example marker from the non-blank line before a fence, and only for that block', () => {
    const markdown = '<!-- ts-example: fragment: why -->\n\n```ts\na\n```\n```ts\nb\n```\n';
    expect(codeBlocks(markdown).map((b) => b.marker)).toEqual(['fragment: why', undefined]);
  });

  it('refuses a marker that is followed by text instead of a block', () => {
    expect(() => codeBlocks('text\n<!-- ts-example: in test -->\nmore text\n```ts\na\n```')).toThrow(
      'line 2: a ts-example marker must come right before a code block',
    );
  });
});
