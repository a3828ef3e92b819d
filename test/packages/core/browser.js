// The browser entry, bundled by vite: must pull in no node: module.
import { randn, tensor } from '@dynconv/core';

globalThis.result = tensor([1, 2]).add(randn([2])).shape;
