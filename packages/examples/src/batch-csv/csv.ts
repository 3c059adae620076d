import { readFile } from 'node:fs/promises';

/**
 * A small RFC 4180 reader: quoted fields may hold commas, newlines and doubled quotes. Enough for the product
 * catalogue example; a real pipeline would stream with a CSV library.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Data rows of a CSV file as header-keyed records (the header row is not a data row). */
export async function readCsvRecords(path: string): Promise<Record<string, string>[]> {
  const [header, ...rows] = parseCsv(await readFile(path, 'utf8'));
  if (header === undefined) return [];
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}
