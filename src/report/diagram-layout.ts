import type { RelationResult } from '../audit/report.js'

/** A rectangle in diagram coordinates. */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** A table's box and the (possibly shortened) name written in it. */
export interface TableBox extends Rect {
  table: string
  text: string
}

/** A relation's arrow (an SVG path from the child to the parent) and where its label sits. */
export interface RelationArrow {
  relation: RelationResult
  path: string
  label: Rect & { text: string }
}

/** Where everything of a relation diagram goes. */
export interface DiagramLayout {
  tables: TableBox[]
  arrows: RelationArrow[]
  /** The area everything is drawn in, margin included. */
  bounds: Rect
}

/** Sizes shared with the renderer, which draws names and labels in a monospace font of these sizes. */
export const SIZES = { font: 13, labelFont: 11, boxHeight: 34, labelHeight: 18 }

const CHAR_WIDTH = 0.6
const MAX_NAME = 36
const BOX_PADDING = 14
const MIN_BOX_WIDTH = 72
const LAYER_GAP = 96
const NODE_GAP = 48
const DUMMY_WIDTH = 20
const MARGIN = 16
const LOOP_REACH = 28
const LOOP_STEP = 20
const LABEL_FRACTIONS = [0.5, 0.38, 0.62, 0.28, 0.72, 0.18, 0.82]

interface Point {
  x: number
  y: number
}

/** A table box, or a point where an arrow crosses a layer it does not stop in (a dummy). */
interface Node {
  table?: string
  layer: number
  width: number
  /** Room kept free right of the box for self-reference loops and their labels. */
  extra: number
  x: number
  up: Node[]
  down: Node[]
}

/** Width of text in a monospace font: East Asian wide characters and emoji take two cells. */
function textWidth(text: string, fontSize: number): number {
  let cells = 0
  for (const char of text)
    cells += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[^\u0000-\uffff]/u.test(char)
      ? 2
      : 1
  return cells * CHAR_WIDTH * fontSize
}

function shorten(name: string): string {
  const chars = [...name]
  return chars.length <= MAX_NAME ? name : `${chars.slice(0, MAX_NAME - 1).join('')}…`
}

function labelWidth(text: string): number {
  return Math.ceil(textWidth(text, SIZES.labelFont)) + 10
}

const round = (value: number) => Math.round(value * 10) / 10

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length
}

/** Depth of each table: 0 without parents, else one below its deepest parent; a cycle is cut where the walk meets it again. */
function tableDepths(tables: string[], relations: RelationResult[]): Map<string, number> {
  const parents = new Map(tables.map((table) => [table, [] as string[]]))
  for (const relation of relations) {
    if (relation.childTable !== relation.parentTable) parents.get(relation.childTable)?.push(relation.parentTable)
  }
  const depths = new Map<string, number>()
  const walking = new Set<string>()
  const depth = (table: string): number => {
    const known = depths.get(table)
    if (known !== undefined) return known
    if (walking.has(table)) return -1
    walking.add(table)
    const result = 1 + Math.max(-1, ...(parents.get(table) ?? []).map(depth))
    walking.delete(table)
    depths.set(table, result)
    return result
  }
  for (const table of tables) depth(table)
  return depths
}

/** Orders a layer by the mean position of each node's neighbours in the layer before (barycentre heuristic); stable. */
function reorder(layer: Node[], neighbours: (node: Node) => Node[], position: Map<Node, number>): void {
  const keys = new Map(
    layer.map((node, i) => [node, neighbours(node).length > 0 ? mean(neighbours(node).map((n) => position.get(n) as number)) : i]),
  )
  layer.sort((a, b) => (keys.get(a) as number) - (keys.get(b) as number))
  layer.forEach((node, i) => position.set(node, i))
}

/**
 * Moves a layer's nodes as close as possible (least squares) to their wished centres while keeping their order and
 * gaps: isotonic regression by pooling adjacent violators. Nodes without a wish stay where they are.
 */
function place(layer: Node[], wish: (node: Node) => number | undefined): void {
  const offsets: number[] = []
  layer.forEach((node, i) => {
    const before = layer[i - 1]
    offsets.push(before === undefined ? 0 : (offsets[i - 1] as number) + before.width / 2 + before.extra + NODE_GAP + node.width / 2)
  })
  const blocks: { size: number; sum: number }[] = []
  layer.forEach((node, i) => {
    blocks.push({ size: 1, sum: (wish(node) ?? node.x) - (offsets[i] as number) })
    while (blocks.length > 1) {
      const last = blocks.at(-1) as { size: number; sum: number }
      const previous = blocks.at(-2) as { size: number; sum: number }
      if (previous.sum / previous.size <= last.sum / last.size) break
      blocks.pop()
      previous.size += last.size
      previous.sum += last.sum
    }
  })
  let i = 0
  for (const block of blocks) {
    for (let member = 0; member < block.size; member++, i++) (layer[i] as Node).x = block.sum / block.size + (offsets[i] as number)
  }
}

function overlaps(a: Rect, b: Rect, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap
}

/** The point at `fraction` of a polyline's length. */
function along(points: Point[], fraction: number): Point {
  const lengths = points.slice(1).map((point, i) => Math.hypot(point.x - (points[i] as Point).x, point.y - (points[i] as Point).y))
  let rest = fraction * lengths.reduce((sum, length) => sum + length, 0)
  for (const [i, length] of lengths.entries()) {
    const from = points[i] as Point
    const to = points[i + 1] as Point
    if (rest <= length && length > 0)
      return { x: from.x + ((to.x - from.x) * rest) / length, y: from.y + ((to.y - from.y) * rest) / length }
    rest -= length
  }
  return points.at(-1) as Point
}

function pathThrough(points: Point[]): string {
  return points.map((point, i) => `${i === 0 ? 'M' : 'L'}${round(point.x)},${round(point.y)}`).join(' ')
}

/**
 * Lays out a relation diagram: tables in layers by depth (parents on top), arrows from child to parent routed
 * through the layers they cross, self-references as loops right of their box, labels placed clear of boxes and
 * of each other where possible. The same relations always give the same layout.
 */
export function layoutDiagram(relations: RelationResult[], labelOf: (relation: RelationResult) => string): DiagramLayout {
  const tables = [...new Set(relations.flatMap((relation) => [relation.childTable, relation.parentTable]))]
  const depths = tableDepths(tables, relations)
  const layers: Node[][] = []
  const nodes = new Map<string, Node>()
  const loops = new Map<string, RelationResult[]>()
  for (const relation of relations) {
    if (relation.childTable === relation.parentTable) loops.set(relation.childTable, [...(loops.get(relation.childTable) ?? []), relation])
  }
  for (const table of tables) {
    const own = loops.get(table) ?? []
    const reach = own.length > 0 ? 0.75 * (LOOP_REACH + LOOP_STEP * (own.length - 1)) + 6 : 0
    const node: Node = {
      table,
      layer: depths.get(table) as number,
      width: Math.max(MIN_BOX_WIDTH, Math.ceil(textWidth(shorten(table), SIZES.font)) + 2 * BOX_PADDING),
      extra: reach + Math.max(0, ...own.map((relation) => labelWidth(labelOf(relation)))),
      x: 0,
      up: [],
      down: [],
    }
    nodes.set(table, node)
    ;(layers[node.layer] ??= []).push(node)
  }

  const chains = relations.map((relation, index) => {
    if (relation.childTable === relation.parentTable) return undefined
    const child = nodes.get(relation.childTable) as Node
    const parent = nodes.get(relation.parentTable) as Node
    const step = parent.layer < child.layer ? -1 : 1
    const chain = [child]
    for (let layer = child.layer + step; layer !== parent.layer; layer += step) {
      const dummy: Node = { layer, width: DUMMY_WIDTH, extra: 0, x: 0, up: [], down: [] }
      ;(layers[layer] as Node[]).push(dummy)
      chain.push(dummy)
    }
    chain.push(parent)
    for (let i = 1; i < chain.length; i++) {
      const [upper, lower] = step < 0 ? [chain[i] as Node, chain[i - 1] as Node] : [chain[i - 1] as Node, chain[i] as Node]
      upper.down.push(lower)
      lower.up.push(upper)
    }
    return { index, chain }
  })

  const position = new Map<Node, number>()
  for (const layer of layers) layer.forEach((node, i) => position.set(node, i))
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let l = 1; l < layers.length; l++) reorder(layers[l] as Node[], (node) => node.up, position)
    for (let l = layers.length - 2; l >= 0; l--) reorder(layers[l] as Node[], (node) => node.down, position)
  }
  for (let l = 1; l < layers.length; l++) reorder(layers[l] as Node[], (node) => node.up, position)

  const wishFrom = (pick: (node: Node) => Node[]) => (node: Node) => (pick(node).length > 0 ? mean(pick(node).map((n) => n.x)) : undefined)
  for (const layer of layers) place(layer, () => undefined)
  for (let l = 1; l < layers.length; l++)
    place(
      layers[l] as Node[],
      wishFrom((node) => node.up),
    )
  for (let l = layers.length - 2; l >= 0; l--)
    place(
      layers[l] as Node[],
      wishFrom((node) => node.down),
    )
  for (let l = 1; l < layers.length; l++)
    place(
      layers[l] as Node[],
      wishFrom((node) => node.up),
    )
  const left = Math.min(...[...nodes.values()].map((node) => node.x - node.width / 2))
  for (const layer of layers) for (const node of layer) node.x -= left

  const top = (layer: number) => layer * (SIZES.boxHeight + LAYER_GAP)
  const boxes = new Map(
    tables.map((table) => {
      const node = nodes.get(table) as Node
      const box: TableBox = {
        table,
        text: shorten(table),
        x: round(node.x - node.width / 2),
        y: top(node.layer),
        width: node.width,
        height: SIZES.boxHeight,
      }
      return [table, box]
    }),
  )

  // Arrows leave and enter boxes through their top and bottom sides, spread along the side in the order of the nodes they
  // lead to (then of the relations), so parallel arrows between the same two tables never cross.
  const sides = new Map<string, { key: string; order: number; other: Node }[]>()
  const addEnd = (key: string, order: number, node: Node, other: Node) => {
    const side = `${other.layer < node.layer ? 'top' : 'bottom'} ${node.table}`
    sides.set(side, [...(sides.get(side) ?? []), { key, order, other }])
  }
  for (const route of chains) {
    if (route === undefined) continue
    const { chain, index } = route
    addEnd(`${index} child`, index, chain[0] as Node, chain[1] as Node)
    addEnd(`${index} parent`, index, chain.at(-1) as Node, chain.at(-2) as Node)
  }
  const attach = new Map<string, Point>()
  for (const [side, list] of sides) {
    const box = boxes.get(side.slice(side.indexOf(' ') + 1)) as TableBox
    list.sort((a, b) => a.other.x - b.other.x || a.order - b.order)
    list.forEach((end, k) => {
      attach.set(end.key, { x: box.x + (box.width * (k + 1)) / (list.length + 1), y: side.startsWith('top') ? box.y : box.y + box.height })
    })
  }

  const placed: Rect[] = [...boxes.values()].map((box) => ({ ...box }))
  const arrows: RelationArrow[] = []
  const extents: Rect[] = [...boxes.values()]
  for (const [table, own] of loops) {
    const box = boxes.get(table) as TableBox
    const right = box.x + box.width
    const middle = box.y + box.height / 2
    own.forEach((relation, j) => {
      const reach = LOOP_REACH + LOOP_STEP * j
      const rise = 6 + 7 * j
      const gap = 4 + 3 * j
      const path = `M${round(right)},${round(middle - gap)} C${round(right + reach)},${round(middle - gap - rise)} ${round(right + reach)},${round(middle + gap + rise)} ${round(right)},${round(middle + gap)}`
      const text = labelOf(relation)
      const outer = 0.75 * (LOOP_REACH + LOOP_STEP * (own.length - 1)) + 6
      const label = {
        text,
        x: round(right + outer),
        y: round(middle + (j - (own.length - 1) / 2) * (SIZES.labelHeight + 2) - SIZES.labelHeight / 2),
        width: labelWidth(text),
        height: SIZES.labelHeight,
      }
      placed.push(label)
      extents.push(label, { x: right, y: middle - gap - rise, width: 0.75 * reach, height: 2 * (gap + rise) })
      arrows.push({ relation, path, label })
    })
  }

  for (const route of chains) {
    if (route === undefined) continue
    const { chain, index } = route
    const points: Point[] = [attach.get(`${index} child`) as Point]
    for (const dummy of chain.slice(1, -1)) {
      const [enter, leave] = (chain[0] as Node).layer > dummy.layer ? [SIZES.boxHeight, 0] : [0, SIZES.boxHeight]
      points.push({ x: dummy.x, y: top(dummy.layer) + enter }, { x: dummy.x, y: top(dummy.layer) + leave })
    }
    points.push(attach.get(`${index} parent`) as Point)
    const relation = relations[index] as RelationResult
    const text = labelOf(relation)
    const width = labelWidth(text)
    const at = (fraction: number) => {
      const centre = along(points, fraction)
      return { text, x: round(centre.x - width / 2), y: round(centre.y - SIZES.labelHeight / 2), width, height: SIZES.labelHeight }
    }
    const label = LABEL_FRACTIONS.map(at).find((candidate) => !placed.some((rect) => overlaps(candidate, rect, 2))) ?? at(0.5)
    placed.push(label)
    extents.push(label)
    arrows.push({ relation, path: pathThrough(points), label })
  }
  arrows.sort((a, b) => relations.indexOf(a.relation) - relations.indexOf(b.relation))

  const minX = Math.min(0, ...extents.map((rect) => rect.x)) - MARGIN
  const minY = Math.min(0, ...extents.map((rect) => rect.y)) - MARGIN
  const maxX = Math.max(0, ...extents.map((rect) => rect.x + rect.width)) + MARGIN
  const maxY = Math.max(0, ...extents.map((rect) => rect.y + rect.height)) + MARGIN
  return {
    tables: [...boxes.values()],
    arrows,
    bounds: {
      x: Math.floor(minX),
      y: Math.floor(minY),
      width: Math.ceil(maxX - Math.floor(minX)),
      height: Math.ceil(maxY - Math.floor(minY)),
    },
  }
}
