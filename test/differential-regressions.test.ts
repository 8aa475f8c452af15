import { describe, it } from 'vitest'
import type { ReferentialAction } from '../src/index.js'
import { refguardEnforcement } from './differential/enforcement.js'
import type { OracleDialect, RelationDef, Scenario, Schema } from './differential/model.js'
import { expectAgreement } from './differential/run-scenario.js'
import { useDatabasePair } from './differential/use-databases.js'

/** A shrunk counterexample the differential test found, kept as a named scenario. */
interface Regression {
  name: string
  dialects: OracleDialect[]
  scenario: Scenario
}

interface Actions {
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  /** The column DEFAULT, for SET DEFAULT. */
  default?: number
}

function singleColumnRelation(child: string, index: number, parent: string, actions: Actions): RelationDef {
  const { onDelete, onUpdate } = actions
  return {
    name: `${child}_r${index}_fkey`,
    child,
    childColumns: [`r${index}_id`],
    parent,
    parentColumns: ['id'],
    onDelete,
    onUpdate,
    match: 'simple',
  }
}

/** t0(id, r0_id -> t0.id): a tree. */
function selfReferencingTable(actions: Actions): Schema {
  return {
    tables: [{ name: 't0', compositeKey: false, childColumns: [{ name: 'r0_id', notNull: false, default: null }] }],
    relations: [singleColumnRelation('t0', 0, 't0', actions)],
  }
}

/** t1(r0_id -> t0.id, r1_id -> t0.id): two relations, created in this order, from one child to one parent. */
function twoRelationsToOneParent(first: Actions, second: Actions): Schema {
  const childColumns = [first, second].map((actions, index) => ({ name: `r${index}_id`, notNull: false, default: actions.default ?? null }))
  return {
    tables: [
      { name: 't0', compositeKey: false, childColumns: [] },
      { name: 't1', compositeKey: false, childColumns },
    ],
    relations: [singleColumnRelation('t1', 0, 't0', first), singleColumnRelation('t1', 1, 't0', second)],
  }
}

const deleteAll = (table: string) => ({ kind: 'delete', table, where: { kind: 'all' } }) as const

const REGRESSIONS: Regression[] = [
  {
    name: 'a row written by ON DELETE SET DEFAULT is not checked when another relation cascades it away in the same statement',
    dialects: ['postgres'],
    scenario: {
      schema: twoRelationsToOneParent(
        { onDelete: 'set default', onUpdate: 'cascade', default: 1 },
        { onDelete: 'cascade', onUpdate: 'cascade' },
      ),
      statements: [
        { kind: 'insert', table: 't0', rows: [{ id: 2 }, { id: 1 }] },
        { kind: 'insert', table: 't1', rows: [{ id: 1, r0_id: 2, r1_id: 2 }] },
        deleteAll('t0'),
      ],
    },
  },
  {
    name: 'a row written by ON DELETE SET NULL (col) under MATCH FULL is not checked when a cascade deletes it in the same statement',
    dialects: ['postgres'],
    scenario: {
      schema: {
        tables: [
          {
            name: 't0',
            compositeKey: true,
            childColumns: [
              { name: 'r0_a', notNull: false, default: null },
              { name: 'r0_b', notNull: false, default: null },
              { name: 'r1_id', notNull: false, default: null },
            ],
          },
        ],
        relations: [
          {
            name: 't0_r0_fkey',
            child: 't0',
            childColumns: ['r0_a', 'r0_b'],
            parent: 't0',
            parentColumns: ['a', 'b'],
            onDelete: 'set null',
            onUpdate: 'cascade',
            match: 'full',
            onDeleteSetColumns: ['r0_a'],
          },
          singleColumnRelation('t0', 1, 't0', { onDelete: 'cascade', onUpdate: 'cascade' }),
        ],
      },
      statements: [
        {
          kind: 'insert',
          table: 't0',
          rows: [
            { id: 1, a: null, b: null, r0_a: null, r0_b: null, r1_id: null },
            { id: 3, a: 1, b: 1, r0_a: null, r0_b: null, r1_id: 1 },
            { id: 2, a: null, b: null, r0_a: 1, r0_b: 1, r1_id: 3 },
          ],
        },
        { kind: 'delete', table: 't0', where: { kind: 'in', column: 'id', values: [1] } },
      ],
    },
  },
  {
    name: 'PostgreSQL checks a NO ACTION relation created before a CASCADE one on the same parent before that cascade runs',
    dialects: ['postgres'],
    scenario: {
      schema: twoRelationsToOneParent({ onDelete: 'no action', onUpdate: 'cascade' }, { onDelete: 'cascade', onUpdate: 'cascade' }),
      statements: [
        { kind: 'insert', table: 't0', rows: [{ id: 1 }] },
        { kind: 'insert', table: 't1', rows: [{ id: 1, r0_id: 1, r1_id: 1 }] },
        deleteAll('t0'),
      ],
    },
  },
  {
    name: 'PostgreSQL checks RESTRICT before deeper cascade levels remove the referencing rows',
    dialects: ['postgres'],
    scenario: {
      schema: {
        tables: [
          {
            name: 't0',
            compositeKey: false,
            childColumns: [
              { name: 'r0_id', notNull: false, default: null },
              { name: 'r1_id', notNull: false, default: null },
            ],
          },
        ],
        relations: [
          singleColumnRelation('t0', 0, 't0', { onDelete: 'cascade', onUpdate: 'cascade' }),
          singleColumnRelation('t0', 1, 't0', { onDelete: 'restrict', onUpdate: 'cascade' }),
        ],
      },
      statements: [
        {
          kind: 'insert',
          table: 't0',
          rows: [
            { id: 4, r0_id: null, r1_id: null },
            { id: 1, r0_id: 4, r1_id: 4 },
            { id: 2, r0_id: 1, r1_id: 4 },
          ],
        },
        { kind: 'delete', table: 't0', where: { kind: 'null', column: 'r0_id' } },
      ],
    },
  },
  {
    name: 'InnoDB: a self-referencing ON UPDATE CASCADE that would update the same table again acts like RESTRICT',
    dialects: ['mariadb'],
    scenario: {
      schema: selfReferencingTable({ onDelete: 'cascade', onUpdate: 'cascade' }),
      statements: [
        {
          kind: 'insert',
          table: 't0',
          rows: [
            { id: 1, r0_id: null },
            { id: 2, r0_id: 1 },
          ],
        },
        { kind: 'update', table: 't0', set: { column: 'id', add: 10 }, where: { kind: 'compare', column: 'id', op: '<=', value: 6 } },
      ],
    },
  },
  {
    name: 'InnoDB: a multi-row insert checks each row as it is inserted, so a row cannot reference a later row of the same statement',
    dialects: ['mariadb'],
    scenario: {
      schema: selfReferencingTable({ onDelete: 'restrict', onUpdate: 'restrict' }),
      statements: [
        {
          kind: 'insert',
          table: 't0',
          rows: [
            { id: 2, r0_id: 1 },
            { id: 1, r0_id: null },
          ],
        },
      ],
    },
  },
  {
    name: 'InnoDB: relations of one parent act in constraint-name order, so a CASCADE named first empties a later RESTRICT',
    dialects: ['mariadb'],
    scenario: {
      schema: twoRelationsToOneParent({ onDelete: 'cascade', onUpdate: 'cascade' }, { onDelete: 'restrict', onUpdate: 'cascade' }),
      statements: [
        { kind: 'insert', table: 't0', rows: [{ id: 4 }] },
        { kind: 'insert', table: 't1', rows: [{ id: 1, r0_id: 4, r1_id: 4 }] },
        { kind: 'delete', table: 't0', where: { kind: 'in', column: 'id', values: [4] } },
      ],
    },
  },
  {
    name: 'InnoDB: a delete goes row by row in primary-key order, so deleting a child before its parent passes RESTRICT',
    dialects: ['mariadb'],
    scenario: {
      schema: selfReferencingTable({ onDelete: 'restrict', onUpdate: 'restrict' }),
      statements: [
        { kind: 'insert', table: 't0', rows: [{ id: 6, r0_id: null }] },
        { kind: 'insert', table: 't0', rows: [{ id: 1, r0_id: 6 }] },
        deleteAll('t0'),
      ],
    },
  },
  {
    name: 'InnoDB: a delete also removes rows that its own ON DELETE SET NULL made match the WHERE clause',
    dialects: ['mariadb'],
    scenario: {
      schema: selfReferencingTable({ onDelete: 'set null', onUpdate: 'restrict' }),
      statements: [
        {
          kind: 'insert',
          table: 't0',
          rows: [
            { id: 1, r0_id: null },
            { id: 2, r0_id: 1 },
          ],
        },
        { kind: 'delete', table: 't0', where: { kind: 'null', column: 'r0_id' } },
      ],
    },
  },
  {
    name: 'InnoDB: the affected-row count of a delete excludes rows its own cascade removed first',
    dialects: ['mariadb'],
    scenario: {
      schema: selfReferencingTable({ onDelete: 'cascade', onUpdate: 'no action' }),
      statements: [
        {
          kind: 'insert',
          table: 't0',
          rows: [
            { id: 1, r0_id: null },
            { id: 2, r0_id: 1 },
          ],
        },
        deleteAll('t0'),
      ],
    },
  },
]

for (const dialect of ['postgres', 'mariadb'] as const) {
  const regressions = REGRESSIONS.filter((regression) => regression.dialects.includes(dialect))
  describe.skipIf(regressions.length === 0)(`differential regressions on ${dialect}`, () => {
    const databases = useDatabasePair(dialect, dialect)

    for (const regression of regressions) {
      it(regression.name, () => expectAgreement({ ...databases, enforcement: refguardEnforcement }, regression.scenario))
    }
  })
}
