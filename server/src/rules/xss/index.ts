import type { Rule } from '../rule';
import FS301 from './FS301-reflected-xss';
import FS302 from './FS302-markup-from-untrusted-data';
import FS303 from './FS303-jinja-autoescape-disabled';
import FS304 from './FS304-unescaped-template-extension';
import FS305 from './FS305-mako-template-without-escaping';

export const XSS_RULES: readonly Rule[] = [FS301, FS302, FS303, FS304, FS305];
