import type { Database } from '../storage/db.js';
import type { ZbpStatus } from '../transports/return-paths.js';

/**
 * A submission's status history in the vocabulary of the central citizen Postfach (ZBP): what the
 * runtime itself knows (submitted, handed over or fetched, accepted or rejected) and each status an
 * authority set with an answer, in the order it happened.
 */
export interface HistoryEntry {
  status: ZbpStatus;
  at: Date;
}

export async function statusHistory(db: Database, submissionId: string): Promise<HistoryEntry[]> {
  const { rows } = await db.query<{ status: ZbpStatus; at: Date | string }>(
    `SELECT 'SUBMITTED' AS status, submitted_at AS at, 0 AS o FROM submissions WHERE id = $1
     UNION ALL SELECT 'RECEIVED', min(finished_at), 1 FROM delivery_attempts WHERE submission_id = $1 AND outcome = 'delivered' HAVING count(*) > 0
     UNION ALL SELECT CASE decision WHEN 'accepted' THEN 'PROCESSING' ELSE 'COMPLETED' END, decided_at, 2 FROM submission_decisions WHERE submission_id = $1
     UNION ALL SELECT status, received_at, 3 FROM submission_answers WHERE submission_id = $1 AND status IS NOT NULL
     ORDER BY at, o`,
    [submissionId],
  );
  return rows.map((r) => ({ status: r.status, at: new Date(r.at) }));
}
