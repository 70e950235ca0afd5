// Types of bin/dist.mjs for the tests that import it.
export declare const ROOT: string
export declare function distIsCurrent (): boolean
export declare function stampBuild (startedAt: number): void
