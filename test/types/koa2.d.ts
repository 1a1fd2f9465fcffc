// `koa2` is Koa 2 installed under an alias (devDependencies) so the scenario suite runs on both majors.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
