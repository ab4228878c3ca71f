export declare const SERVER_ONLY_EMPTY: string;
export declare function registerServerOnlyEmpty(): void;
