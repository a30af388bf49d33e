// Cytoscape style: colour and shape by entity label, kind on the edges, CO_MENTIONED dashed.

const LABEL_STYLE = {
  Person: ['#3b6ea8', 'ellipse'],
  Business: ['#7a5ca8', 'round-rectangle'],
  Location: ['#3c8d5a', 'diamond'],
  Phone: ['#c07a2c', 'triangle'],
  Email: ['#b05a7a', 'round-tag'],
  BankAccount: ['#a8433b', 'hexagon'],
  Vehicle: ['#5a6b7a', 'barrel'],
  Website: ['#2c8c8c', 'star'],
};

export const graphStyle = [
  {
    selector: 'node',
    style: {
      label: 'data(name)',
      'background-color': '#888',
      'font-size': 11,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-wrap': 'ellipsis',
      'text-max-width': 140,
      color: '#222',
      width: 28,
      height: 28,
    },
  },
  ...Object.entries(LABEL_STYLE).map(([label, [colour, shape]]) => ({
    selector: `node[label = "${label}"]`,
    style: { 'background-color': colour, shape },
  })),
  { selector: 'node.anchor', style: { 'border-width': 4, 'border-color': '#222', width: 36, height: 36 } },
  { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#f2b705' } },
  {
    selector: 'edge',
    style: {
      label: 'data(kind)',
      'font-size': 8,
      color: '#555',
      'text-rotation': 'autorotate',
      'text-background-color': '#fff',
      'text-background-opacity': 0.8,
      width: 1.5,
      'line-color': '#9aa4ae',
      'target-arrow-color': '#9aa4ae',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
    },
  },
  { selector: 'edge[kind = "CO_MENTIONED"]', style: { 'line-style': 'dashed', 'target-arrow-shape': 'none' } },
  { selector: 'edge:selected', style: { 'line-color': '#f2b705', 'target-arrow-color': '#f2b705', width: 3 } },
];
