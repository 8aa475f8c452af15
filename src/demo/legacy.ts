import { type Kysely, sql } from 'kysely'
import type { CheckReport } from '../audit/check.js'
import type { DemoExample } from './example.js'
import { countOf, keyed, resultOf, sampledKeys } from './wording.js'

const CITIES = ['Warszawa', 'Kraków', 'Gdańsk', 'Wrocław', 'Poznań']
const CATEGORIES = ['teacher', 'student', 'parent']

/** `city` 0 is the legacy "no city"; `activated` false marks the accounts the daily purge deletes. */
interface User {
  email: string
  city: number
  categories: string[]
  activated: boolean
}

const USERS: User[] = [
  { email: 'anna.nowak@example.com', city: 1, categories: ['teacher'], activated: true },
  { email: 'piotr.kowalski@example.com', city: 2, categories: ['student'], activated: true },
  { email: 'marta.wisniewska@example.com', city: 0, categories: ['parent'], activated: true },
  { email: 'tomasz.wojcik@example.com', city: 3, categories: ['teacher', 'parent'], activated: true },
  { email: 'kasia.kaminska@example.com', city: 1, categories: ['student'], activated: false },
  { email: 'jan.lewandowski@example.com', city: 0, categories: ['student'], activated: true },
  { email: 'ola.zielinska@example.com', city: 5, categories: ['teacher', 'parent'], activated: false },
  { email: 'michal.szymanski@example.com', city: 4, categories: ['student'], activated: true },
  { email: 'ewa.dabrowska@example.com', city: 2, categories: ['teacher'], activated: true },
  { email: 'pawel.kozlowski@example.com', city: 0, categories: ['student'], activated: false },
  { email: 'magda.jankowska@example.com', city: 3, categories: ['parent'], activated: true },
  { email: 'krzysztof.mazur@example.com', city: 0, categories: ['student', 'parent'], activated: true },
  { email: 'agnieszka.kwiatkowska@example.com', city: 1, categories: ['teacher'], activated: true },
  { email: 'lukasz.krawczyk@example.com', city: 5, categories: ['student'], activated: false },
  { email: 'zofia.piotrowska@example.com', city: 0, categories: ['parent'], activated: true },
  { email: 'adam.grabowski@example.com', city: 4, categories: ['student'], activated: true },
]

const REGISTERED_AT = '2019-03-01T09:00:00Z'
const ACTIVATED_AT = '2019-03-02T09:00:00Z'

/** Legacy style on purpose: `city_id int not null default 0`, and a SMALLINT category_id pointing at an INT id. */
async function createTables(db: Kysely<any>): Promise<void> {
  await sql`create schema legacy`.execute(db)
  await sql`create table legacy.cities (id serial primary key, name text not null)`.execute(db)
  await sql`create table legacy.categories (id serial primary key, name text not null)`.execute(db)
  await sql`create table legacy.users (
    id serial primary key, email text not null unique, city_id int not null default 0,
    registered_at timestamptz not null, activated_at timestamptz)`.execute(db)
  await sql`create table legacy.users_categories (
    user_id int not null, category_id smallint not null, primary key (user_id, category_id))`.execute(db)
}

async function seed(db: Kysely<any>): Promise<void> {
  await createTables(db)
  const legacy = db.withSchema('legacy')
  await legacy
    .insertInto('cities')
    .values(CITIES.map((name) => ({ name })))
    .execute()
  await legacy
    .insertInto('categories')
    .values(CATEGORIES.map((name) => ({ name })))
    .execute()
  const users = await legacy
    .insertInto('users')
    .values(
      USERS.map((user) => ({
        email: user.email,
        city_id: user.city,
        registered_at: REGISTERED_AT,
        activated_at: user.activated ? ACTIVATED_AT : null,
      })),
    )
    .returning(['id', 'email'])
    .execute()
  const userIdOf = new Map(users.map((row) => [row.email as string, row.id as number]))
  await legacy
    .insertInto('users_categories')
    .values(
      USERS.flatMap((user) =>
        user.categories.map((category) => ({ user_id: userIdOf.get(user.email), category_id: CATEGORIES.indexOf(category) + 1 })),
      ),
    )
    .execute()
  // The daily purge of never-activated accounts: it forgets users_categories.
  await legacy.deleteFrom('users').where('activated_at', 'is', null).execute()
}

function explainPurge(report: CheckReport): string {
  const memberships = resultOf(report, 'users_categories_user_id_fkey')
  if (memberships.orphans === 0) return 'Every users_categories row belongs to a user.'
  return (
    `${countOf(memberships.orphans, 'users_categories row')} ${memberships.orphans === 1 ? 'belongs' : 'belong'} to ${keyed('user', sampledKeys(memberships))}, ` +
    'purged as inactive by a daily script that deleted from users only.'
  )
}

function explainSentinel(report: CheckReport): string[] {
  const cities = resultOf(report, 'users_city_id_fkey')
  if (cities.orphans === 0) return ['Every user has a real city or none.']
  const keys = sampledKeys(cities)
  const onlyZero = keys.length === 1 && keys[0] === '0'
  const lines = [
    onlyZero
      ? `${cities.orphans} of ${countOf(cities.rowsChecked, 'user')} have city_id = 0, and no city has id 0: 0 was used where NULL was ` +
        'meant ("no city"), so a real FOREIGN KEY would reject these rows.'
      : `${cities.orphans} of ${countOf(cities.rowsChecked, 'user')} point at ${keyed('city', keys, 'cities')}, which do not exist` +
        `${keys.includes('0') ? ' (0 is the legacy "no city")' : ''}.`,
  ]
  if (report.findings.some((finding) => finding.kind === 'nullability' && finding.relation === cities.name)) {
    lines.push(
      'The check also flags users.city_id as NOT NULL, so ON DELETE SET NULL could never run: make it nullable, then UPDATE the 0s to NULL.',
    )
  }
  return lines
}

function explainCategories(report: CheckReport): string {
  const categories = resultOf(report, 'users_categories_category_id_fkey')
  const state = categories.orphans === 0 ? 'has no orphans' : `has ${countOf(categories.orphans, 'orphan')}`
  const unindexed = report.findings.some((finding) => finding.kind === 'missing-index' && finding.relation === categories.name)
  return (
    `users_categories.category_id ${state}, but it is a SMALLINT pointing at an INT id: MySQL refuses a foreign key between different types` +
    (unindexed ? ', and no index starts with category_id, so deleting a category scans every membership.' : '.')
  )
}

/** Seed 002: the legacy users/categories schema of "When your SQL database is missing foreign keys". */
export const legacyExample: DemoExample = {
  schema: 'legacy',
  title: 'legacy: users, cities and categories that never had foreign keys',
  story:
    'From "When your SQL database is missing foreign keys": a daily script purged never-activated accounts from users but not from ' +
    'users_categories, and optional references were declared INT NOT NULL DEFAULT 0.',
  relations: [
    'legacy.users_categories(user_id) -> legacy.users(id) on delete cascade',
    'legacy.users_categories(category_id) -> legacy.categories(id)',
    'legacy.users(city_id) -> legacy.cities(id) on delete set null',
  ],
  seed,
  explain: (report) => [explainPurge(report), ...explainSentinel(report), explainCategories(report)],
}
