import type { Kysely } from 'kysely'
import pc from 'picocolors'
import { runCheck } from '../audit/check.js'
import type { ResolvedConfig } from '../config/normalize.js'
import type { DatabaseSet } from '../db/database-set.js'
import { readArchive } from '../repair/archive.js'
import { runRepair } from '../repair/repair.js'
import { runRestore } from '../repair/restore.js'
import { formatRepairText, formatRestoreText } from '../report/repair-text.js'
import { shellCommand } from './narration.js'
import { indentLines, wrap } from './wording.js'

const INDENT = '   '
const RESTORED = 'users_categories_user_id_fkey'

async function orphanTotal(config: ResolvedConfig, databases: DatabaseSet, relations: string[]): Promise<number> {
  const report = await runCheck(config, databases, { relations, sample: 0 })
  return report.relations.reduce((sum, relation) => sum + relation.orphans, 0)
}

/** The first row the run archived for the restored relation (JSON made by the database). */
async function archivedExample(db: Kysely<any>, runId: string): Promise<string> {
  const row = (await readArchive({ db, family: 'postgres' }, runId)).find((candidate) => candidate.relation === RESTORED)
  return row ? `${row.relation} (${row.action}): ${row.row}` : 'no archived row'
}

/** The legacy schema repaired: the plan, the batched run with its archive, and one relation put back. */
export async function repairSection(config: ResolvedConfig, databases: DatabaseSet, db: Kysely<any>, relations: string[]): Promise<string> {
  const plan = await runRepair(config, databases, { relations })
  const run = await runRepair(config, databases, { relations, apply: true, alter: true, batchSize: 2 })
  const runId = run.runId as string
  const archived = await archivedExample(db, runId)
  const left = await orphanTotal(config, databases, relations)
  const restore = await runRestore(config, databases, runId, { apply: true, relations: [RESTORED] })
  const back = await orphanTotal(config, databases, [RESTORED])
  const command = (text: string) => `${INDENT}$ ${text}`
  return [
    pc.bold(pc.cyan('5. legacy, repaired: batched, archived, undoable')),
    wrap(
      'refguard repair plans the cleanup in fix order (parents first), turns sentinel zeros into NULL as a step of its own, and ' +
        'deletes or nulls orphans in short transactions, archiving every changed row first. It is a dry run until --apply.',
      INDENT,
    ),
    [
      shellCommand(['$ refguard repair', ...relations.map((name) => `--relation ${name}`)]),
      indentLines(formatRepairText(plan, 100 - INDENT.length), INDENT),
    ].join('\n'),
    [command('refguard repair ... --apply --alter --batch-size 2'), indentLines(formatRepairText(run, 100 - INDENT.length), INDENT)].join(
      '\n',
    ),
    wrap(`One archived row, exactly as the database wrote it: ${archived}`, INDENT),
    wrap(`refguard check afterwards: ${left} orphan(s) in these relations.`, INDENT),
    [command(`refguard restore ${runId} --relation ${RESTORED} --apply`), indentLines(formatRestoreText(restore), INDENT)].join('\n'),
    wrap(`${RESTORED} has its ${back} orphaned rows back, byte for byte: a repair can always be undone.`, INDENT),
    '',
  ].join('\n\n')
}
