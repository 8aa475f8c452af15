import { type Kysely, sql } from 'kysely'
import type { CheckReport } from '../audit/check.js'
import type { DemoExample } from './example.js'
import { countOf, keyed, resultOf, sampledKeys } from './wording.js'

interface Recipe {
  name: string
  servings: number
  ingredients: Array<[name: string, quantity: string]>
  steps: string[]
}

const RECIPES: Recipe[] = [
  {
    name: 'Pancakes',
    servings: 4,
    ingredients: [
      ['flour', '200 g'],
      ['milk', '300 ml'],
      ['eggs', '2'],
      ['butter', '30 g'],
      ['sugar', '1 tbsp'],
    ],
    steps: [
      'Whisk the flour, sugar and a pinch of salt.',
      'Beat in the eggs and milk until smooth.',
      'Rest the batter for 15 minutes.',
      'Fry ladlefuls in butter, a minute a side.',
    ],
  },
  {
    name: 'Tomato soup',
    servings: 4,
    ingredients: [
      ['tomatoes', '1 kg'],
      ['onion', '1'],
      ['garlic', '2 cloves'],
      ['vegetable stock', '500 ml'],
      ['olive oil', '2 tbsp'],
    ],
    steps: [
      'Soften the onion and garlic in the oil.',
      'Add the tomatoes and stock; simmer for 20 minutes.',
      'Blend until smooth and season.',
    ],
  },
  {
    name: 'Guacamole',
    servings: 4,
    ingredients: [
      ['avocados', '3'],
      ['lime', '1'],
      ['red onion', '1/2'],
      ['coriander', '1 handful'],
      ['green chilli', '1'],
    ],
    steps: ['Mash the avocados.', 'Stir in the chopped onion, chilli and coriander.', 'Season with lime juice and salt.'],
  },
  {
    name: 'Spaghetti carbonara',
    servings: 2,
    ingredients: [
      ['spaghetti', '200 g'],
      ['guanciale', '100 g'],
      ['egg yolks', '3'],
      ['pecorino', '50 g'],
      ['black pepper', '1 tsp'],
    ],
    steps: [
      'Boil the spaghetti in salted water.',
      'Crisp the guanciale in a dry pan.',
      'Mix the yolks with the pecorino and pepper.',
      'Off the heat, toss the pasta with the guanciale, then the egg mix.',
    ],
  },
  {
    name: 'Greek salad',
    servings: 2,
    ingredients: [
      ['tomatoes', '3'],
      ['cucumber', '1'],
      ['feta', '150 g'],
      ['olives', '12'],
      ['oregano', '1 tsp'],
    ],
    steps: ['Chop the tomatoes and cucumber.', 'Top with the olives and feta.', 'Dress with olive oil and oregano.'],
  },
  {
    name: 'Banana bread',
    servings: 8,
    ingredients: [
      ['ripe bananas', '3'],
      ['flour', '250 g'],
      ['sugar', '100 g'],
      ['butter', '80 g'],
      ['eggs', '2'],
      ['baking soda', '1 tsp'],
    ],
    steps: [
      'Heat the oven to 180 °C.',
      'Mash the bananas with the melted butter.',
      'Mix in the sugar and eggs, then the flour and soda.',
      'Bake for 60 minutes in a lined tin.',
    ],
  },
  {
    name: 'Hummus',
    servings: 6,
    ingredients: [
      ['chickpeas', '400 g'],
      ['tahini', '3 tbsp'],
      ['lemon', '1'],
      ['garlic', '1 clove'],
      ['olive oil', '3 tbsp'],
    ],
    steps: ['Blend the chickpeas, tahini, lemon juice and garlic.', 'Loosen with cold water and the oil.', 'Season and serve.'],
  },
  {
    name: 'French omelette',
    servings: 1,
    ingredients: [
      ['eggs', '3'],
      ['butter', '15 g'],
      ['chives', '1 tbsp'],
    ],
    steps: ['Beat the eggs with salt.', 'Melt the butter over medium heat.', 'Stir the eggs until just set, then roll.'],
  },
  {
    name: 'Mushroom risotto',
    servings: 4,
    ingredients: [
      ['arborio rice', '300 g'],
      ['mushrooms', '250 g'],
      ['onion', '1'],
      ['white wine', '100 ml'],
      ['chicken stock', '1 l'],
      ['parmesan', '50 g'],
    ],
    steps: [
      'Fry the mushrooms and set them aside.',
      'Soften the onion, then toast the rice.',
      'Add the wine, then the stock a ladle at a time for 18 minutes.',
      'Stir in the mushrooms and parmesan.',
    ],
  },
  {
    name: 'Red lentil soup',
    servings: 6,
    ingredients: [
      ['red lentils', '250 g'],
      ['carrots', '2'],
      ['onion', '1'],
      ['cumin', '1 tsp'],
      ['vegetable stock', '1.5 l'],
    ],
    steps: ['Soften the onion and carrots.', 'Add the cumin, lentils and stock.', 'Simmer for 25 minutes, then blend half of it.'],
  },
  {
    name: 'Apple crumble',
    servings: 6,
    ingredients: [
      ['apples', '6'],
      ['flour', '150 g'],
      ['butter', '100 g'],
      ['brown sugar', '100 g'],
      ['cinnamon', '1 tsp'],
    ],
    steps: [
      'Heat the oven to 190 °C.',
      'Slice the apples into a dish with the cinnamon.',
      'Rub the butter into the flour and sugar.',
      'Scatter over the apples and bake for 35 minutes.',
    ],
  },
  {
    name: 'Shakshuka',
    servings: 2,
    ingredients: [
      ['chopped tomatoes', '800 g'],
      ['red peppers', '2'],
      ['onion', '1'],
      ['eggs', '4'],
      ['smoked paprika', '1 tsp'],
    ],
    steps: [
      'Soften the onion and peppers.',
      'Add the tomatoes and paprika; simmer for 10 minutes.',
      'Make four wells and crack in the eggs.',
      'Cover until the whites have set.',
    ],
  },
  {
    name: 'Chicken curry',
    servings: 4,
    ingredients: [
      ['chicken thighs', '600 g'],
      ['onions', '2'],
      ['garlic', '3 cloves'],
      ['ginger', '1 thumb'],
      ['curry paste', '3 tbsp'],
      ['coconut milk', '400 ml'],
      ['basmati rice', '300 g'],
    ],
    steps: [
      'Brown the chicken.',
      'Fry the onions, garlic and ginger until soft.',
      'Stir in the curry paste for a minute.',
      'Add the coconut milk and chicken; simmer for 25 minutes.',
      'Serve with the rice.',
    ],
  },
]

/** The recipe the app deleted with the main DELETE only: its secondary DELETEs never ran. */
const DELETED_WITHOUT_CASCADE = 'Chicken curry'

async function createTables(db: Kysely<any>): Promise<void> {
  await sql`create schema kitchen`.execute(db)
  await sql`create table kitchen.recipes (id serial primary key, name text not null, servings int not null)`.execute(db)
  await sql`create table kitchen.ingredients (
    id serial primary key, recipe_id int not null, name text not null, quantity text not null)`.execute(db)
  await sql`create index ingredients_recipe_id_idx on kitchen.ingredients (recipe_id)`.execute(db)
  await sql`create table kitchen.steps (
    id serial primary key, recipe_id int not null, position int not null, instruction text not null)`.execute(db)
  await sql`create index steps_recipe_id_idx on kitchen.steps (recipe_id)`.execute(db)
}

async function seed(db: Kysely<any>): Promise<void> {
  await createTables(db)
  const kitchen = db.withSchema('kitchen')
  const inserted = await kitchen
    .insertInto('recipes')
    .values(RECIPES.map(({ name, servings }) => ({ name, servings })))
    .returning(['id', 'name'])
    .execute()
  const idOf = new Map(inserted.map((row) => [row.name as string, row.id as number]))
  await kitchen
    .insertInto('ingredients')
    .values(
      RECIPES.flatMap((recipe) => recipe.ingredients.map(([name, quantity]) => ({ recipe_id: idOf.get(recipe.name), name, quantity }))),
    )
    .execute()
  await kitchen
    .insertInto('steps')
    .values(
      RECIPES.flatMap((recipe) =>
        recipe.steps.map((instruction, index) => ({ recipe_id: idOf.get(recipe.name), position: index + 1, instruction })),
      ),
    )
    .execute()
  await kitchen.deleteFrom('recipes').where('name', '=', DELETED_WITHOUT_CASCADE).execute()
}

function explain(report: CheckReport): string[] {
  const ingredients = resultOf(report, 'ingredients_recipe_id_fkey')
  const steps = resultOf(report, 'steps_recipe_id_fkey')
  if (ingredients.orphans + steps.orphans === 0) return ['No orphans: every ingredient and step belongs to a recipe.']
  const recipes = [...new Set([...sampledKeys(ingredients), ...sampledKeys(steps)])].sort((a, b) => Number(a) - Number(b))
  const deleted = `${keyed('recipe', recipes)}, which ${recipes.length === 1 ? 'was' : 'were'}`
  return [
    `${countOf(ingredients.orphans, 'ingredient')} and ${countOf(steps.orphans, 'step')} still point at ${deleted} deleted without ` +
      'the cascade: the main DELETE ran, the secondary DELETEs never did (a crash in between, or a lost queue message).',
    `The app never shows them, yet they are ${ingredients.orphans + steps.orphans} of ${ingredients.rowsChecked + steps.rowsChecked} ` +
      'ingredient and step rows, and they would stop a real FOREIGN KEY from being added.',
  ]
}

/** Seed 000: the recipe manager of PlanetScale's "Strategies for maintaining referential integrity". */
export const recipesExample: DemoExample = {
  schema: 'kitchen',
  title: 'kitchen: a recipe manager whose cascades run in application code',
  story:
    'From "Strategies for maintaining referential integrity" (PlanetScale): without foreign keys, deleting a recipe means deleting ' +
    'its ingredients and steps in code too, inline, from a scheduled job or from a queue. Here one of those cascades went missing.',
  relations: [
    'kitchen.ingredients(recipe_id) -> kitchen.recipes(id) on delete cascade',
    'kitchen.steps(recipe_id) -> kitchen.recipes(id) on delete cascade',
  ],
  seed,
  explain,
}
