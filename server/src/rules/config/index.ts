import type { Rule } from '../rule';
import FS101 from './FS101-debug-mode-enabled';
import FS102 from './FS102-werkzeug-debugger-exposed';
import FS103 from './FS103-bind-all-interfaces';
import FS104 from './FS104-insecure-session-cookie-config';
import FS105 from './FS105-cookie-without-secure-flag';
import FS106 from './FS106-talisman-protection-disabled';
import FS107 from './FS107-exception-details-in-response';
import FS109 from './FS109-cookie-without-httponly-flag';
import FS110 from './FS110-cookie-without-samesite';
import FS108 from './FS108-host-header-trusted';

export const CONFIG_RULES: readonly Rule[] = [
  FS101,
  FS102,
  FS103,
  FS104,
  FS105,
  FS106,
  FS107,
  FS108,
  FS109,
  FS110,
];
