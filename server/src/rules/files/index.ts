import type { Rule } from '../rule';
import FS601 from './FS601-path-traversal';
import FS602 from './FS602-upload-saved-with-client-filename';
import FS603 from './FS603-archive-extraction-traversal';
import FS604 from './FS604-insecure-temp-file';
import FS605 from './FS605-weak-file-permissions';

export const FILES_RULES: readonly Rule[] = [FS601, FS602, FS603, FS604, FS605];
