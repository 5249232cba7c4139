import type { Rule } from '../rule';
import FS501 from './FS501-route-without-auth';
import FS502 from './FS502-csrf-protection-disabled';
import FS503 from './FS503-jwt-verification-disabled';
import FS504 from './FS504-jwt-cookie-without-csrf';
import FS505 from './FS505-cors-wildcard-origin';
import FS506 from './FS506-mass-assignment';
import FS508 from './FS508-trust-boundary-violation';

export const ACCESS_RULES: readonly Rule[] = [FS501, FS502, FS503, FS504, FS505, FS506, FS508];
