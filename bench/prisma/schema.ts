import type { Engine } from '../support/databases.js'

/** The Prisma provider of each engine (MariaDB is Prisma's `mysql`, reached through @prisma/adapter-mariadb). */
const PROVIDERS: Record<Engine, string> = { postgres: 'postgresql', mariadb: 'mysql', pglite: 'postgresql' }

/** A referential action as SQL names it and as a Prisma schema does. */
export const ACTIONS = [
  { sql: 'restrict', prisma: 'Restrict' },
  { sql: 'no action', prisma: 'NoAction' },
  { sql: 'cascade', prisma: 'Cascade' },
  { sql: 'set null', prisma: 'SetNull' },
  { sql: 'set default', prisma: 'SetDefault' },
] as const
export type Action = (typeof ACTIONS)[number]

function header(engine: Engine): string {
  return `generator client {
  provider     = "prisma-client"
  output       = "client"
  moduleFormat = "esm"
}

datasource db {
  provider     = "${PROVIDERS[engine]}"
  relationMode = "prisma"
}
`
}

/**
 * The models of the missing-parent, race and cascade parts, as a PlanetScale user writes them: relations
 * emulated by Prisma Client (`relationMode = "prisma"`), an index on every relation scalar, deletes cascading.
 */
export function comparisonSchema(engine: Engine): string {
  return `${header(engine)}
model Parent {
  id       Int     @id
  children Child[]

  @@map("parents")
}

model Child {
  id       Int    @id @default(autoincrement())
  parentId Int    @map("parent_id")
  parent   Parent @relation(fields: [parentId], references: [id], onDelete: Cascade)

  @@index([parentId])
  @@map("children")
}

model Root {
  id   Int   @id
  mids Mid[]

  @@map("roots")
}

model Mid {
  id     Int    @id
  rootId Int    @map("root_id")
  root   Root   @relation(fields: [rootId], references: [id], onDelete: Cascade)
  leaves Leaf[]

  @@index([rootId])
  @@map("mids")
}

model Leaf {
  id    Int @id
  midId Int @map("mid_id")
  mid   Mid @relation(fields: [midId], references: [id], onDelete: Cascade)

  @@index([midId])
  @@map("leaves")
}
`
}

/** One parent and one child model whose relation deletes with `action`; the child key is optional and defaults to 0. */
export function actionSchema(engine: Engine, action: Action): string {
  return `${header(engine)}
model ActionParent {
  id       Int           @id
  children ActionChild[]

  @@map("action_parents")
}

model ActionChild {
  id       Int           @id
  parentId Int?          @default(0) @map("parent_id")
  parent   ActionParent? @relation(fields: [parentId], references: [id], onDelete: ${action.prisma})

  @@index([parentId])
  @@map("action_children")
}
`
}
