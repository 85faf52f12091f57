/**
 * Reader-token rotation on a schedule (mesh:remoteSecrets.schedule): the generation in effect is
 * the configured one plus the whole periods since the schedule's start. A function of the day, so
 * every `up` within a period changes nothing, the first one after it ends rotates (its preview
 * shows the rotation), and a missed period is caught up by one rotation, not several.
 */
export interface TokenSchedule {
    /** Days between rotations. */
    readonly everyDays: number;
    /** The first day of the first period, YYYY-MM-DD (UTC). */
    readonly since: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A calendar date YYYY-MM-DD that exists (no 2026-02-30). */
export function isCalendarDate(s: string): boolean {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return false;
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.toISOString().slice(0, 10) === s;
}

/** Whole periods from `since` to `today` (0 before `since`). */
export function periodsElapsed(schedule: TokenSchedule, today: Date): number {
    const days = Math.floor((today.getTime() - Date.parse(`${schedule.since}T00:00:00Z`)) / DAY_MS);
    return days < 0 ? 0 : Math.floor(days / schedule.everyDays);
}

export function effectiveTokenGeneration(configured: number, schedule: TokenSchedule | undefined, today: Date): number {
    return configured + (schedule ? periodsElapsed(schedule, today) : 0);
}
