/** Text files bundled into the web extension (esbuild's `text` loader, scripts/build.mjs). */
declare module '*.md' {
  const text: string;
  export default text;
}
