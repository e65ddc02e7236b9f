// Owns the zod schemas of the ThreadStore inputs that src/model/params.ts does not (yet) define:
// the small `{threadId, ...}` shapes. Candidates to move into params.ts so both stores share them.
import { z } from 'zod';
import { uuidSchema } from '../../model/ids.js';

export const threadIdParamsSchema = z.strictObject({ threadId: uuidSchema });

export const appendThreadItemsParamsSchema = z.strictObject({
  threadId: uuidSchema,
  items: z.array(z.unknown()),
});

export { appendOptionsSchema } from '../../model/params.js';

export const loadThreadHistoryParamsSchema = z.strictObject({
  threadId: uuidSchema,
  includeArchived: z.boolean().optional(),
});

export const readThreadParamsSchema = z.strictObject({
  threadId: uuidSchema,
  includeArchived: z.boolean().optional(),
  includeHistory: z.boolean().optional(),
});

export const updateThreadMetadataParamsSchema = z.strictObject({
  threadId: uuidSchema,
  /** Validated separately with `parsePatch` so its errors name `patch.<field>`. */
  patch: z.unknown(),
  includeArchived: z.boolean().optional(),
});
