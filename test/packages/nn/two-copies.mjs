// A tensor of the project's core handed to nn, which loads its own (nested) copy of core.
import { tensor } from '@dynconv/core';
import { Linear } from '@dynconv/nn';

let error = '';
try {
  new Linear(2, 2).forward(tensor([[1, 2]]));
} catch (e) {
  error = e.message;
}
console.log(JSON.stringify({ error }));
