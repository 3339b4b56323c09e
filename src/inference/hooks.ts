// The concerns that join every inference: admission steps (reserve before, book after)
// and finishers (after). Add a concern here, not in the route.

import { withBudget } from "../budget/budget-step.ts";
import { limiterAdmission } from "../quota/limiter-admission.ts";
import type { AdmissionStep, Finisher } from "./record.ts";

// The budget gates the limiter: a request it refuses never takes the limiter's capacity.
export const ADMISSION_STEPS: readonly AdmissionStep[] = [withBudget(limiterAdmission)];

export const FINISHERS: readonly Finisher[] = [];
