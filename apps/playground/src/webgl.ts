/**
 * Whether WebGL2 works here: a context can be made, on a canvas of the page or, in a worker, on
 * an OffscreenCanvas. A browser may have WebGL2 switched off or blocklisted; Chromium's
 * --disable-webgl2 turns off the page's canvases but not a worker's OffscreenCanvas, so the page
 * asks its own canvas (the user's setting) and the worker asks again for itself.
 */
export function webgl2Available(): boolean {
  try {
    const canvas = typeof document !== 'undefined' ? document.createElement('canvas') : typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : null;
    const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null | undefined;
    if (!gl) return false;
    // Give the context back at once: browsers cap how many are alive.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return true;
  } catch {
    return false;
  }
}
