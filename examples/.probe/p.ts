console.log(import.meta.resolve('@larder/express'));
const m = await import('@larder/express');
console.log(Object.keys(m).length);
