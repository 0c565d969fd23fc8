/**
 * Saving files from the browser: a text file, and a chart's SVG rendered
 * into a canvas and saved as PNG (`toBlob`). Needs the DOM; the content
 * itself is built by pure, tested functions (`csv.ts`, `chart.ts`).
 */

/** Offers `blob` for download as `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Offers a CSV text for download. */
export function saveCsv(text: string, name: string): void {
  saveBlob(new Blob([text], { type: 'text/csv;charset=utf-8' }), name);
}

/**
 * Renders `svgElement` at `scale` × its view box into a canvas on a white
 * background and resolves with the PNG. The SVG carries its own colours and
 * fonts as attributes, so it draws the same outside the page's stylesheet.
 */
export async function svgToPng(svgElement: SVGSVGElement, scale = 2): Promise<Blob> {
  const box = svgElement.viewBox.baseVal;
  const width = Math.max(1, Math.round((box && box.width > 0 ? box.width : svgElement.clientWidth) * scale));
  const height = Math.max(1, Math.round((box && box.height > 0 ? box.height : svgElement.clientHeight) * scale));
  const clone = svgElement.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  const source = new XMLSerializer().serializeToString(clone);
  const url = URL.createObjectURL(new Blob([source], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const image = new Image();
    image.decoding = 'sync';
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('The chart could not be drawn as an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) throw new Error('No 2D canvas');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The image could not be encoded'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
