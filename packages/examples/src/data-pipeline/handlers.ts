import { defineHandler } from '@tasker-bridge/core';
import { fromCents, toCents } from '../shared/numbers.js';

/**
 * Analytics pipeline `data_pipeline_ts/analytics_pipeline_ts` (blog post 2): three extracts run in parallel, each
 * feeds its transform, one aggregate step joins them, insights come last (8 steps). The source data is a small
 * fixed sample, so every number below is reproducible: revenue 1,549.85 over 5 orders, inventory value 14,552.48,
 * 4 customers of whom 2 are premium.
 */
const NS = 'DataPipeline.StepHandlers';

const SALES = [
  { order_id: 'ORD-1', date: '2026-01-02', product_id: 'P-1', quantity: 2, amount: 199.98 },
  { order_id: 'ORD-2', date: '2026-01-02', product_id: 'P-2', quantity: 1, amount: 349.99 },
  { order_id: 'ORD-3', date: '2026-01-03', product_id: 'P-1', quantity: 5, amount: 499.95 },
  { order_id: 'ORD-4', date: '2026-01-04', product_id: 'P-3', quantity: 3, amount: 149.97 },
  { order_id: 'ORD-5', date: '2026-01-04', product_id: 'P-2', quantity: 1, amount: 349.96 },
];
const INVENTORY = [
  { product_id: 'P-1', warehouse: 'east', on_hand: 40, unit_cost: 49.99, reorder_point: 50 },
  { product_id: 'P-2', warehouse: 'west', on_hand: 20, unit_cost: 199.0, reorder_point: 10 },
  { product_id: 'P-3', warehouse: 'east', on_hand: 101, unit_cost: 84.88, reorder_point: 30 },
];
const CUSTOMERS = [
  { customer_id: 'C-1', tier: 'premium', lifetime_value: 5200 },
  { customer_id: 'C-2', tier: 'standard', lifetime_value: 800 },
  { customer_id: 'C-3', tier: 'premium', lifetime_value: 7400 },
  { customer_id: 'C-4', tier: 'standard', lifetime_value: 150 },
];

interface PipelineInput {
  pipeline_id?: string;
  date_range?: { start_date?: string; end_date?: string };
}

export const ExtractSalesDataHandler = defineHandler<PipelineInput>(
  `${NS}.ExtractSalesDataHandler`,
  ({ input }) => ({
    source: 'sales',
    records: SALES,
    record_count: SALES.length,
    date_range: input.date_range ?? null,
  }),
);

export const ExtractInventoryDataHandler = defineHandler(`${NS}.ExtractInventoryDataHandler`, () => ({
  source: 'inventory',
  records: INVENTORY,
  record_count: INVENTORY.length,
}));

export const ExtractCustomerDataHandler = defineHandler(`${NS}.ExtractCustomerDataHandler`, () => ({
  source: 'customers',
  records: CUSTOMERS,
  record_count: CUSTOMERS.length,
}));

export const TransformSalesHandler = defineHandler<unknown, { sales: { records: typeof SALES } }>(
  `${NS}.TransformSalesHandler`,
  { depends: { sales: 'extract_sales_data' } },
  ({ deps }) => {
    const byProduct: Record<string, { quantity: number; revenue_cents: number }> = {};
    const byDay: Record<string, number> = {};
    let revenueCents = 0;
    for (const sale of deps.sales.records) {
      const cents = toCents(sale.amount);
      revenueCents += cents;
      const p = byProduct[sale.product_id] ?? { quantity: 0, revenue_cents: 0 };
      byProduct[sale.product_id] = p;
      p.quantity += sale.quantity;
      p.revenue_cents += cents;
      byDay[sale.date] = (byDay[sale.date] ?? 0) + cents;
    }
    return {
      total_revenue: fromCents(revenueCents),
      order_count: deps.sales.records.length,
      average_order_value: fromCents(Math.round(revenueCents / deps.sales.records.length)),
      revenue_by_product: Object.fromEntries(
        Object.entries(byProduct).map(([k, v]) => [k, fromCents(v.revenue_cents)]),
      ),
      units_by_product: Object.fromEntries(Object.entries(byProduct).map(([k, v]) => [k, v.quantity])),
      revenue_by_day: Object.fromEntries(Object.entries(byDay).map(([k, v]) => [k, fromCents(v)])),
    };
  },
);

export const TransformInventoryHandler = defineHandler<unknown, { inventory: { records: typeof INVENTORY } }>(
  `${NS}.TransformInventoryHandler`,
  { depends: { inventory: 'extract_inventory_data' } },
  ({ deps }) => {
    const records = deps.inventory.records;
    return {
      total_units: records.reduce((n, r) => n + r.on_hand, 0),
      inventory_value: fromCents(records.reduce((n, r) => n + toCents(r.unit_cost) * r.on_hand, 0)),
      reorder_needed: records.filter((r) => r.on_hand < r.reorder_point).map((r) => r.product_id),
    };
  },
);

export const TransformCustomersHandler = defineHandler<unknown, { customers: { records: typeof CUSTOMERS } }>(
  `${NS}.TransformCustomersHandler`,
  { depends: { customers: 'extract_customer_data' } },
  ({ deps }) => {
    const tiers: Record<string, number> = {};
    for (const c of deps.customers.records) tiers[c.tier] = (tiers[c.tier] ?? 0) + 1;
    const total = deps.customers.records.reduce((n, c) => n + c.lifetime_value, 0);
    return {
      customer_count: deps.customers.records.length,
      tier_counts: tiers,
      average_lifetime_value: total / deps.customers.records.length,
    };
  },
);

interface Transformed {
  sales: { total_revenue: number; order_count: number; units_by_product: Record<string, number> };
  inventory: { inventory_value: number; reorder_needed: string[]; total_units: number };
  customers: { customer_count: number; tier_counts: Record<string, number> };
}

export const AggregateMetricsHandler = defineHandler<PipelineInput, Transformed>(
  `${NS}.AggregateMetricsHandler`,
  {
    depends: { sales: 'transform_sales', inventory: 'transform_inventory', customers: 'transform_customers' },
  },
  ({ deps, input }) => ({
    pipeline_id: input.pipeline_id ?? null,
    total_revenue: deps.sales.total_revenue,
    order_count: deps.sales.order_count,
    inventory_value: deps.inventory.inventory_value,
    total_units_on_hand: deps.inventory.total_units,
    customer_count: deps.customers.customer_count,
    premium_customers: deps.customers.tier_counts.premium ?? 0,
    revenue_per_customer: fromCents(
      Math.round(toCents(deps.sales.total_revenue) / deps.customers.customer_count),
    ),
    reorder_needed: deps.inventory.reorder_needed,
    best_selling_product:
      Object.entries(deps.sales.units_by_product).sort(([, a], [, b]) => b - a)[0]?.[0] ?? null,
  }),
);

export const GenerateInsightsHandler = defineHandler<
  unknown,
  {
    metrics: {
      total_revenue: number;
      reorder_needed: string[];
      best_selling_product: string | null;
      premium_customers: number;
    };
  }
>(`${NS}.GenerateInsightsHandler`, { depends: { metrics: 'aggregate_metrics' } }, ({ deps }) => {
  const m = deps.metrics;
  const insights = [
    `Best-selling product: ${m.best_selling_product}`,
    `Revenue in range: ${m.total_revenue.toFixed(2)}`,
  ];
  if (m.reorder_needed.length > 0) insights.push(`Reorder soon: ${m.reorder_needed.join(', ')}`);
  if (m.premium_customers > 0) insights.push(`${m.premium_customers} premium customers to target`);
  return { insights, insight_count: insights.length, health_score: m.reorder_needed.length === 0 ? 100 : 80 };
});

export const dataPipelineHandlers = [
  ExtractSalesDataHandler,
  ExtractInventoryDataHandler,
  ExtractCustomerDataHandler,
  TransformSalesHandler,
  TransformInventoryHandler,
  TransformCustomersHandler,
  AggregateMetricsHandler,
  GenerateInsightsHandler,
] as const;
