-- Generated (drizzle-kit): the O(tail) resume point on the threads row (see src/db/schema/threads.ts).
ALTER TABLE "thread_store"."threads" ADD COLUMN "resume_checkpoint_seq" bigint;--> statement-breakpoint
ALTER TABLE "thread_store"."threads" ADD COLUMN "resume_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "thread_store"."threads" ADD COLUMN "compactions_before_resume" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written: backfill every existing thread with the rule of src/store/postgres/resumePoint.ts
-- (newest checkpoint with a replacement history at seq >= 0; start at the first line of its turn; count the
-- compactions before that start). FORCE ROW LEVEL SECURITY hides every row from the owner without
-- a tenant, so it is lifted for this transaction only: the ALTERs hold ACCESS EXCLUSIVE locks until
-- COMMIT, nobody else reads meanwhile, and a failure rolls the whole migration back with them.
ALTER TABLE "thread_store"."threads" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_items" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_checkpoints" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
UPDATE "thread_store"."threads" t
   SET resume_checkpoint_seq = p.checkpoint_seq,
       resume_seq = p.start_seq,
       compactions_before_resume = (
         SELECT count(*) FROM "thread_store"."thread_checkpoints" n
          WHERE n.tenant_id = p.tenant_id AND n.thread_id = p.thread_id AND n.seq >= 0 AND n.seq < p.start_seq)
  FROM (
    SELECT m.tenant_id, m.thread_id, m.checkpoint_seq,
           least(m.checkpoint_seq, (
             SELECT min(k.seq) FROM "thread_store"."thread_items" k
              WHERE k.tenant_id = m.tenant_id AND k.thread_id = m.thread_id AND k.seq >= 0
                AND k.turn_id = (SELECT c.turn_id FROM "thread_store"."thread_items" c
                                  WHERE c.tenant_id = m.tenant_id AND c.thread_id = m.thread_id AND c.seq = m.checkpoint_seq))) AS start_seq
      FROM (SELECT tenant_id, thread_id, max(seq) AS checkpoint_seq FROM "thread_store"."thread_checkpoints"
             WHERE seq >= 0 AND replacement_history_size IS NOT NULL GROUP BY tenant_id, thread_id) m
  ) p
 WHERE t.tenant_id = p.tenant_id AND t.id = p.thread_id;--> statement-breakpoint
ALTER TABLE "thread_store"."threads" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_items" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_checkpoints" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
-- The one-call read (src/store/postgres/reconstructHistory.ts) now reads the resume point from the
-- threads row with one plain statement; the plpgsql function of 0006 is gone.
DROP FUNCTION IF EXISTS "thread_store"."resume_tail"(uuid, uuid);
