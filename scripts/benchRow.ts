/** One row of the bench's table: our figure, the baseline's from the same run, their ratio, the target and whether it holds. */
export interface Row {
  name: string
  ours: string
  baseline: string
  ratio: string
  target: string
  holds: string
}
