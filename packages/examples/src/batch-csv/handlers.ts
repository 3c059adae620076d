import { access } from 'node:fs/promises';
import {
  batchWorkerSuccess,
  createBatches,
  createCursorConfigs,
  defineBatchAggregator,
  defineBatchWorker,
  defineHandler,
  noBatches,
  PermanentError,
  ValidationError,
} from '@tasker-bridge/core';
import { fromCents, toCents } from '../shared/numbers.js';
import { readCsvRecords } from './csv.js';

/**
 * CSV batch processing `csv_processing_ts/csv_product_inventory_analyzer_ts`: analyze_csv_ts (batchable) counts
 * the data rows of the file at `csv_file_path` and cuts them into at most `max_workers` ranges of about
 * `batch_size` rows; each process_csv_batch_ts_NNN worker reads its rows [start, end) (0-indexed data rows, end
 * exclusive); aggregate_csv_results_ts sums them.
 *
 * Upstream's TS analyzer pretends every file has 1000 rows and its workers invent 95 % valid rows; Ruby, Rust and
 * Python read the real file. We read the real file and report both families of keys: TS's
 * (`valid_products`, `invalid_products`, `low_stock_items`, `out_of_stock_items`) computed from the data, and
 * Rust's (`total_inventory_value`, `category_counts`, `max_price`, `max_price_product`,
 * `overall_average_rating`). Money is summed in cents and ratings in hundredths, so totals are exact.
 */
const NS = 'batch_processing.step_handlers';
export const CSV_WORKER_TEMPLATE = 'process_csv_batch_ts';

interface CsvInput {
  csv_file_path?: string;
  analysis_mode?: string;
}

export const CsvAnalyzerHandler = defineHandler<CsvInput>(
  `${NS}.CsvAnalyzerHandler`,
  { inputs: ['csv_file_path'] },
  async ({ input, config }) => {
    const path = input.csv_file_path;
    if (typeof path !== 'string' || path === '')
      throw new ValidationError('csv_file_path must be a non-empty string', { field: 'csv_file_path' });
    try {
      await access(path);
    } catch (cause) {
      throw new PermanentError(`CSV file not found: ${path}`, { errorCode: 'CSV_NOT_FOUND', cause });
    }
    const totalRows = (await readCsvRecords(path)).length;
    const analysis = {
      csv_file_path: path,
      analysis_mode: input.analysis_mode ?? 'inventory',
      total_rows: totalRows,
    };
    if (totalRows === 0) return noBatches('empty_dataset', { extra: analysis });

    const batchSize = positive(config.batch_size, 200);
    const maxWorkers = positive(config.max_workers, 5);
    const workers = Math.min(Math.ceil(totalRows / batchSize), maxWorkers);
    return createBatches(
      { workerTemplateName: CSV_WORKER_TEMPLATE, cursorConfigs: createCursorConfigs(totalRows, workers) },
      { extra: { ...analysis, batch_size: batchSize, worker_count: workers } },
    );
  },
);

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

/** What one worker reports about its rows; the aggregator adds these up. */
export interface CsvBatchStats {
  batch_id: string;
  rows_processed: number;
  valid_products: number;
  invalid_products: number;
  low_stock_items: number;
  out_of_stock_items: number;
  inventory_value_cents: number;
  rating_sum_hundredths: number;
  rated_products: number;
  category_counts: Record<string, number>;
  max_price: number;
  max_price_product: string | null;
}

export const CsvBatchProcessorHandler = defineBatchWorker<CsvInput>(
  `${NS}.CsvBatchProcessorHandler`,
  { inputs: ['csv_file_path'] },
  async ({ input, batch, config }) => {
    const start = Number(batch.startCursor);
    const end = Number(batch.endCursor);
    const lowStockThreshold = positive(config.low_stock_threshold, 10);
    const path = input.csv_file_path;
    if (typeof path !== 'string')
      throw new ValidationError('csv_file_path must be a string', { field: 'csv_file_path' });
    const rows = (await readCsvRecords(path)).slice(start, end);
    const stats: CsvBatchStats = {
      batch_id: batch.batchId,
      rows_processed: rows.length,
      valid_products: 0,
      invalid_products: 0,
      low_stock_items: 0,
      out_of_stock_items: 0,
      inventory_value_cents: 0,
      rating_sum_hundredths: 0,
      rated_products: 0,
      category_counts: {},
      max_price: 0,
      max_price_product: null,
    };
    for (const row of rows) {
      const price = Number(row.price);
      const stock = Number(row.stock);
      const rating = Number(row.rating);
      const valid =
        (row.title ?? '').trim() !== '' &&
        Number.isFinite(price) &&
        price > 0 &&
        Number.isInteger(stock) &&
        stock >= 0;
      if (!valid) {
        stats.invalid_products++;
        continue;
      }
      stats.valid_products++;
      if (stock === 0) stats.out_of_stock_items++;
      else if (stock < lowStockThreshold) stats.low_stock_items++;
      stats.inventory_value_cents += toCents(price) * stock;
      if (Number.isFinite(rating)) {
        stats.rating_sum_hundredths += Math.round(rating * 100);
        stats.rated_products++;
      }
      const category = row.category || 'uncategorized';
      stats.category_counts[category] = (stats.category_counts[category] ?? 0) + 1;
      if (price > stats.max_price) {
        stats.max_price = price;
        stats.max_price_product = row.title ?? null;
      }
    }
    return batchWorkerSuccess({
      itemsProcessed: rows.length,
      itemsSucceeded: stats.valid_products,
      itemsFailed: stats.invalid_products,
      extra: { ...stats, cursor_start: start, cursor_end: end },
    });
  },
);

export const CsvResultsAggregatorHandler = defineBatchAggregator(
  `${NS}.CsvResultsAggregatorHandler`,
  { batchableStep: 'analyze_csv_ts', workerPrefix: `${CSV_WORKER_TEMPLATE}_` },
  ({ scenario }) => {
    const totals = {
      total_processed: 0,
      worker_count: scenario.workerCount,
      valid_products: 0,
      invalid_products: 0,
      low_stock_items: 0,
      out_of_stock_items: 0,
    };
    if (scenario.type === 'no_batches')
      return { ...totals, scenario: 'no_batches', total_inventory_value: 0 };

    let cents = 0;
    let ratingHundredths = 0;
    let rated = 0;
    let maxPrice = 0;
    let maxPriceProduct: string | null = null;
    const categories: Record<string, number> = {};
    const batches: { batch_id: string; rows: number }[] = [];
    for (const { value } of scenario.workers) {
      const s = value as CsvBatchStats;
      totals.total_processed += s.rows_processed;
      totals.valid_products += s.valid_products;
      totals.invalid_products += s.invalid_products;
      totals.low_stock_items += s.low_stock_items;
      totals.out_of_stock_items += s.out_of_stock_items;
      cents += s.inventory_value_cents;
      ratingHundredths += s.rating_sum_hundredths;
      rated += s.rated_products;
      for (const [category, count] of Object.entries(s.category_counts))
        categories[category] = (categories[category] ?? 0) + count;
      if (s.max_price > maxPrice) {
        maxPrice = s.max_price;
        maxPriceProduct = s.max_price_product;
      }
      batches.push({ batch_id: s.batch_id, rows: s.rows_processed });
    }
    return {
      ...totals,
      scenario: 'with_batches',
      total_inventory_value: fromCents(cents),
      category_counts: Object.fromEntries(Object.entries(categories).sort(([a], [b]) => a.localeCompare(b))),
      max_price: maxPrice,
      max_price_product: maxPriceProduct,
      // Mean rating rounded to 4 decimals (3.8517 for the reference fixture).
      overall_average_rating: rated === 0 ? 0 : Math.round((ratingHundredths / rated) * 100) / 10_000,
      batch_summaries: batches,
    };
  },
);

export const csvBatchHandlers = [
  CsvAnalyzerHandler,
  CsvBatchProcessorHandler,
  CsvResultsAggregatorHandler,
] as const;
