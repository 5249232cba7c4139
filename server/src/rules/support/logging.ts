import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName } from '../../engine/syntax';
import { nameWords } from './crypto';

/** What makes a call a logger call: shared by FS410 (secrets in logs) and FS214 (log injection). */

/** Methods of stdlib, loguru and structlog loggers that write a record. */
const LOG_METHODS = new Set([
  'debug',
  'info',
  'warning',
  'warn',
  'error',
  'exception',
  'critical',
  'fatal',
  'log',
  'msg',
  'trace',
  'success',
]);
/** Last words of a logger object: `logger`, `app.logger`, `self.log`, `audit_log`, `LOGGER`. */
const LOGGER_WORDS = new Set(['log', 'logger', 'logging', 'audit', 'syslog']);
const LOGGER_FACTORIES = new Set([
  'logging.getLogger',
  'structlog.get_logger',
  'structlog.getLogger',
  'structlog.stdlib.get_logger',
]);

/** `logging.info(...)`, `logger.warning(...)`, `app.logger.debug(...)`, `logging.getLogger(__name__).error(...)`. */
export function isLoggerCall(ctx: RuleContext, site: CallSite): boolean {
  const callee = site.callee ?? '';
  if (!LOG_METHODS.has(site.name)) return false;
  if (callee === `logging.${site.name}` || callee === `loguru.logger.${site.name}`) return true;
  const receiver = site.receiver;
  if (!receiver) return false;
  if (receiver.type === 'call') return LOGGER_FACTORIES.has(ctx.file.callAt(receiver)?.callee ?? '');
  const text = dottedName(receiver);
  if (text === null) return false;
  const words = nameWords(text.slice(text.lastIndexOf('.') + 1));
  if (LOGGER_WORDS.has(words[words.length - 1] ?? '')) return true;
  return LOGGER_FACTORIES.has(ctx.file.constructorOf(receiver) ?? '');
}
