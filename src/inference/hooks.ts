// The concerns that join every inference: admission steps (reserve before, book after)
// and finishers (after). Add a concern here, not in the route.

import { limiterAdmission } from "../quota/limiter-admission.ts";
import type { AdmissionStep, Finisher } from "./record.ts";

export const ADMISSION_STEPS: readonly AdmissionStep[] = [limiterAdmission];

export const FINISHERS: readonly Finisher[] = [];
