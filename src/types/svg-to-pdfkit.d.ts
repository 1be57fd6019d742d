/** svg-to-pdfkit ships no types: draws an SVG document onto a PDFKit page (vector, no rasterising). */
declare module 'svg-to-pdfkit' {
  function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: { width?: number; height?: number; preserveAspectRatio?: string; assumePt?: boolean; warningCallback?: (message: string) => void }): void;
  export default SVGtoPDF;
}
