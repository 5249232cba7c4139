import type { Rule } from '../rule';
import FS201 from './FS201-sql-built-from-strings';
import FS202 from './FS202-os-command-injection';
import FS203 from './FS203-code-evaluation';
import FS204 from './FS204-server-side-template-injection';
import FS205 from './FS205-insecure-deserialization';
import FS206 from './FS206-yaml-unsafe-load';
import FS207 from './FS207-xml-external-entities';
import FS208 from './FS208-ldap-injection';
import FS209 from './FS209-xpath-injection';
import FS210 from './FS210-nan-injection';
import FS211 from './FS211-csv-formula-injection';
import FS212 from './FS212-regex-injection';
import FS213 from './FS213-nosql-injection';
import FS214 from './FS214-log-injection';
import FS215 from './FS215-regex-dos';

export const INJECTION_RULES: readonly Rule[] = [
  FS201,
  FS202,
  FS203,
  FS204,
  FS205,
  FS206,
  FS207,
  FS208,
  FS209,
  FS210,
  FS211,
  FS212,
  FS213,
  FS214,
  FS215,
];
