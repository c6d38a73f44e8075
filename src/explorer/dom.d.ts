// The few DOM APIs the explorer uses. The project compiles against @cloudflare/workers-types
// (the WebCrypto and fetch types src/lib is written for), which clash with lib.dom, so the
// explorer declares only what it touches (src/explorer/tsconfig.json).
interface DomNode {
  textContent: string | null;
}
declare var Node: { prototype: DomNode; new (): DomNode };
interface DomEvent {
  preventDefault(): void;
}
interface DomElement extends DomNode {
  className: string;
  value: string;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  append(...nodes: (DomNode | string)[]): void;
  replaceChildren(...nodes: (DomNode | string)[]): void;
  querySelector(selector: string): DomElement | null;
  addEventListener(type: string, listener: (e: DomEvent) => void): void;
  contains(node: DomNode): boolean;
}
declare var document: {
  createElement(tag: string): DomElement;
  getElementById(id: string): DomElement | null;
  body: DomElement;
};
declare var location: { hash: string; origin: string; href: string };
declare var window: { addEventListener(type: string, listener: () => void): void };
