/** randexp ships no types: the part the request generator uses. */
declare module 'randexp' {
  export default class RandExp {
    constructor(pattern: RegExp | string, flags?: string);
    max: number;
    defaultRange: { add(from: number, to: number): void; subtract(from: number, to: number): void };
    randInt: (from: number, to: number) => number;
    gen(): string;
  }
}
