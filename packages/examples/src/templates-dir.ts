import { fileURLToPath } from 'node:url';

/**
 * The directory of this package's task templates (`templates/<namespace>/<name>.yaml`), for a worker's
 * `templatePath` / `TASKER_TEMPLATE_PATH`. Resolved from this module's URL, so it works from `src/` (tests)
 * and `dist/` (installed) alike: both sit one level below the package root.
 */
export const templatesDir: string = fileURLToPath(new URL('../templates', import.meta.url));
