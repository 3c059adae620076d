// JSON text with exact 64-bit integers. JSON.parse rounds integers beyond 2^53; Rust's i64/u64 and
// serde_json::Value do not, so those decode to bigint (wire-types.md §1.5). Text with no long digit run
// takes the JSON.parse fast path.

const LONG_DIGITS = /\d{16,}/;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function parseJsonText(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return new LosslessParser(text).document();
}

class LosslessParser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected trailing input');
    return v;
  }

  private fail(reason: string): never {
    throw new SyntaxError(`${reason} at position ${this.i}`);
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i] as string)) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail('unexpected token');
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected ":"');
      Object.defineProperty(out, key, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) this.fail('unterminated string');
      if (c === '\\') this.i++;
      else if (c === '"') break;
    }
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private number(): number | bigint {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) return this.fail('bad number');
    this.i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const big = BigInt(m[0]);
      if (big > SAFE_MAX || big < -SAFE_MAX) return big;
    }
    return Number(m[0]);
  }
}

/**
 * JSON.stringify with bigint support. A number that is integral but beyond 2^53 is not an exact integer,
 * so it is written with `.0` and Rust reads it as f64, as MessagePack does.
 */
export function stringifyJson(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        const s = String(value);
        return /[.e]/.test(s) ? s : `${s}.0`;
      }
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value))
        if (v !== undefined) parts.push(`${JSON.stringify(k)}:${stringifyJson(v)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      return JSON.stringify(value);
  }
}
