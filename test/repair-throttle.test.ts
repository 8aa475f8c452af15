import { describe, expect, it } from 'vitest'
import { Deadline } from '../src/audit/deadline.js'
import { mysqlReplicaLag, waitForReplica } from '../src/repair/throttle.js'
import { createTestDatabase } from './support/databases.js'

describe('replica lag throttling', () => {
  it('waits while the replica lags more than --max-lag, then lets the batch go', async () => {
    const lags = [9, 4, 2, 1]
    const reads: number[] = []
    const readLag = async () => {
      const lag = lags.shift() as number
      reads.push(lag)
      return lag
    }
    await waitForReplica(readLag, 2, new Deadline(), 1)
    expect(reads).toEqual([9, 4, 2])
  })

  it('treats a replica that is not replicating as lagging, until the deadline', async () => {
    let reads = 0
    const waited = await waitForReplica(
      async () => {
        reads++
        return undefined
      },
      5,
      new Deadline(30),
      5,
    )
    expect(reads).toBeGreaterThan(1)
    expect(waited).toBeGreaterThanOrEqual(25)
  })

  it('reads no lag from a MariaDB server that is not a replica', async () => {
    const server = await createTestDatabase('mariadb', 'lag')
    try {
      expect(await mysqlReplicaLag(server.db)()).toBeUndefined()
    } finally {
      await server.drop()
    }
  })
})
