import { expect } from 'vitest'
import { ReferentialIntegrityError } from '../../src/index.js'

/** The rejection of `promise`, which must be a ReferentialIntegrityError. */
export async function integrityFailure(promise: Promise<unknown>): Promise<ReferentialIntegrityError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ReferentialIntegrityError)
  return error as ReferentialIntegrityError
}
