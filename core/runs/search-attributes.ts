// Search attributes that make runs easy to find in the Temporal UI. Registered by the dev
// server the service starts; on another cluster, register them (or set
// FLYWHEEL_SEARCH_ATTRIBUTES=off).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PROJECT_ID_ATTRIBUTE = defineSearchAttributeKey('FlywheelProjectId', SearchAttributeType.KEYWORD);
export const PERIOD_ATTRIBUTE = defineSearchAttributeKey('FlywheelPeriod', SearchAttributeType.KEYWORD);

/** `2026-10` for a period starting 2026-10-01. */
export const periodLabel = (periodStart: string) => periodStart.slice(0, 7);
