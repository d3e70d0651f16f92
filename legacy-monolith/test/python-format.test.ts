import assert from 'node:assert/strict';
import { pyFixed, pyFloatRepr, pyListRepr, pyRound } from '@smp/ml';

// Expected values are what CPython 3 prints for the same doubles.
describe('Python number and list text', function () {
  const fixed: Array<[number, number, string]> = [
    [0.125, 2, '0.12'],
    [0.375, 2, '0.38'],
    [0.5, 3, '0.500'],
    [0.7345, 3, '0.735'],
    [0.7355, 3, '0.736'],
    [2.675, 2, '2.67'],
    [1, 2, '1.00'],
    [-0.0001, 3, '-0.000'],
    [123456.789, 1, '123456.8'],
    [0.0625, 3, '0.062'],
    [1e-7, 3, '0.000'],
  ];
  for (const [x, digits, text] of fixed) {
    it(`f"{${x}:.${digits}f}" is "${text}"`, function () {
      assert.equal(pyFixed(x, digits), text);
    });
  }

  const rounded: Array<[number, number]> = [
    [2.5, 2],
    [3.5, 4],
    [0.5, 0],
    [1.5, 2],
    [3.4999, 3],
    [4.51, 5],
    [-2.5, -2],
  ];
  for (const [x, r] of rounded) {
    it(`round(${x}) is ${r}`, function () {
      assert.equal(pyRound(x), r);
    });
  }

  const floats: Array<[number, string]> = [
    [2, '2.0'],
    [0.1, '0.1'],
    [1e-7, '1e-07'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [-3.5, '-3.5'],
    [1.5e-10, '1.5e-10'],
  ];
  for (const [x, text] of floats) {
    it(`str(${x}) is "${text}"`, function () {
      assert.equal(pyFloatRepr(x), text);
    });
  }

  const lists: Array<[string[], string]> = [
    [['Torque_Nm', 'Tool_wear_min'], "['Torque_Nm', 'Tool_wear_min']"],
    [[], '[]'],
    [["it's"], '["it\'s"]'],
    [['a\\b', 'tab\there'], "['a\\\\b', 'tab\\there']"],
  ];
  for (const [items, text] of lists) {
    it(`repr(${JSON.stringify(items)}) is ${text}`, function () {
      assert.equal(pyListRepr(items), text);
    });
  }
});
