import { assertNever } from '../../errors.js';
import type { NotifyEvent } from '../notify/notifier.js';

/** Telegram's `sendMessage` text limit (characters). */
export const TELEGRAM_MAX_TEXT = 4096;

function task(taskId: number | null): string {
  return taskId === null ? '' : `, task ${taskId}`;
}

function item(event: { workItemId: string }, icon: string): string {
  return `${icon} ${event.workItemId}:`;
}

function at(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** One NotifyEvent as a plain-text chat message (no parse mode: nothing to escape). Pure. */
export function formatNotifyEvent(event: NotifyEvent): string {
  switch (event.type) {
    case 'job_failed':
      return `🚨 Job ${event.jobId} (${event.kind}${task(event.taskId)}) failed after ${event.attempts} attempt(s): ${event.error}`;
    case 'breaker_open':
      return `🔴 Circuit OPEN for ${event.kind}: ${event.consecutiveTransient} transient failures in a row; paused until ${at(event.openUntilMs)}. ${event.reason}`;
    case 'kind_paused':
      return `⏸ ${event.kind} paused until ${at(event.pausedUntilMs)}: ${event.reason}`;
    case 'agent_started':
      return `▶️ ${event.kind} started: job ${event.jobId}, run ${event.runId}${task(event.taskId)}`;
    case 'repo_freeze':
      return event.frozen
        ? `🧊 ${event.repo} frozen by ${event.by}: ${event.reason}. Nothing new passes analysis until it is unfrozen.`
        : `🔓 ${event.repo} unfrozen by ${event.by}. ${event.reason}`;
    case 'disk_alert':
      return `💽 Disk ${event.usedPercent}% full at ${event.path} (alert at ${event.thresholdPercent}%): ${Math.round(event.freeBytes / 1024 / 1024)} MiB free.`;
    case 'fs_ownership':
      return `🔐 ${event.count} file(s) under Orch's directories are not owned by Orch's user (e.g. ${event.examples.join(', ')}). Fix: ${event.fix}`;
    case 'orphan_runs':
      return `👻 ${event.count} agent run(s) were orphaned by a restart (runs ${event.runIds.join(', ')}); their jobs were recovered.`;
    case 'stage_changed':
      return `${item(event, '➡️')} ${event.from} → ${event.stage}. ${event.message}`;
    case 'approval_requested':
      return `${item(event, '🙋')} waiting for approval (${event.stage}). ${event.message}`;
    case 'needs_input':
      return `${item(event, '❓')} needs input (${event.stage}). ${event.message}`;
    case 'gate_failed':
      return `${item(event, '⛔')} gate ${event.gate} failed (${event.stage}). ${event.message}`;
    case 'rollback':
      return `${item(event, '↩️')} rolled back ${event.stage} → ${event.to}. ${event.message}`;
    case 'task_blocked':
      return `${item(event, '🧱')} blocked (${event.stage}). ${event.message}`;
    case 'task_done':
      return `${item(event, '✅')} done. ${event.message}`;
    case 'task_cancelled':
      return `${item(event, '🛑')} cancelled (${event.stage}). ${event.message}`;
    case 'pipeline_warning':
      return `${item(event, '⚠️')} warning (${event.stage}). ${event.message}`;
    case 'post_deploy':
      return event.status === 'HEALTHY'
        ? `${item(event, '💚')} post-deploy window HEALTHY. ${event.message}`
        : `${item(event, '🚨')} post-deploy DEGRADED (${event.action}). ${event.message}`;
    default:
      return assertNever(event, 'notify event');
  }
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `text` to at most `maxUnits` UTF-16 code units (Telegram counts message length in UTF-16
 * units), ending with `…` when cut. The cut falls between user-perceived characters (grapheme
 * clusters), so neither a surrogate pair (an emoji) nor a letter with its combining marks is
 * ever split. Pure.
 */
export function truncateForTelegram(text: string, maxUnits = TELEGRAM_MAX_TEXT): string {
  if (text.length <= maxUnits) return text;
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    if (index + segment.length > maxUnits - 1) break;
    end = index + segment.length;
  }
  return `${text.slice(0, end)}…`;
}
