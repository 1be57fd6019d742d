/**
 * The one-question satisfaction survey on the confirmation page: one answer per submission at most,
 * in the month of the submission. The answer is only added to the month's count of its score; the
 * submission keeps no more than the fact that its survey was answered (so a second answer is refused).
 */
import type { Queryable } from '../storage/db.js';
import { berlinMonth, countRowsOf } from '../storage/figure-counts.js';
import { SURVEY_SCORES } from './figures.js';

export type SurveyScore = (typeof SURVEY_SCORES)[number];

export function isSurveyScore(value: unknown): value is SurveyScore {
  return typeof value === 'string' && (SURVEY_SCORES as readonly string[]).includes(value);
}

/** 'open': may be answered now; 'answered': it was; 'closed': the submission's month is over. */
export type SurveyState = 'open' | 'answered' | 'closed';

export async function surveyState(db: Queryable, submissionId: string): Promise<SurveyState> {
  const { rows } = await db.query<{ answered: boolean; current: boolean }>(
    `SELECT survey_answered AS answered, ${berlinMonth('submitted_at')} = ${berlinMonth('now()')} AS current FROM submissions WHERE id = $1`,
    [submissionId],
  );
  const row = rows[0];
  if (!row) return 'closed';
  return row.answered ? 'answered' : row.current ? 'open' : 'closed';
}

/**
 * Counts the answer unless the survey of this submission was answered before or its month is over
 * (false then). One statement: marking the submission and counting the score happen together.
 */
export async function answerSurvey(db: Queryable, submissionId: string, score: SurveyScore): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `WITH s AS (UPDATE submissions SET survey_answered = true
                 WHERE id = $1 AND NOT survey_answered AND ${berlinMonth('submitted_at')} = ${berlinMonth('now()')}
                 RETURNING tenant, service_id, submitted_at),
          counted AS (${countRowsOf('s', 'survey', 'submitted_at', '$2::text')})
     SELECT count(*)::int AS n FROM s`,
    [submissionId, score],
  );
  return (rows[0]?.n ?? 0) > 0;
}
