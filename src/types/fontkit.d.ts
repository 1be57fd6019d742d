/** fontkit ships no types; PDFKit takes one of its font objects in place of font bytes. */
declare module 'fontkit' {
  export interface Font {
    layout(text: string): unknown;
  }
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
