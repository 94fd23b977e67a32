/**
 * @internal What is wrong with a schedule expression (`cron(...)`, `rate(...)`), in words, thrown by
 * the parsers of tasks/schedule.ts. It never reaches users: parseScheduleExpression() wraps it in
 * an InvalidDefinitionError that names the task and the expected syntax.
 */
export class ScheduleExpressionProblem extends Error {}
