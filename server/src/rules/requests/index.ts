import type { Rule } from '../rule';
import FS701 from './FS701-open-redirect';
import FS702 from './FS702-server-side-request-forgery';
import FS703 from './FS703-http-header-injection';
import FS704 from './FS704-request-without-timeout';

export const REQUESTS_RULES: readonly Rule[] = [FS701, FS702, FS703, FS704];
