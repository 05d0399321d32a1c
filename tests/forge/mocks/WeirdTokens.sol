// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Test-only ERC-20s with the misbehaviours solmate's "weird tokens" catalogue lists.
///         Each keeps plain balances and allowances; only the edges differ.
abstract contract WeirdBase {
    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    constructor(string memory name_, uint8 decimals_) {
        name = name_;
        symbol = name_;
        decimals = decimals_;
    }

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @dev Moves `amount` out of `from`; returns what `to` receives (the fee token keeps some).
    function _move(address from, address to, uint256 amount) internal virtual returns (uint256) {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        return amount;
    }

    function _spend(address from, uint256 amount) internal {
        if (from == msg.sender) return;
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
    }
}

/// @notice USDT-like: transfer, transferFrom and approve return nothing.
contract MissingReturnToken is WeirdBase {
    constructor(uint8 decimals_) WeirdBase("MISSING", decimals_) {}

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        _spend(from, amount);
        _move(from, to, amount);
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }
}

/// @notice Returns false instead of reverting when a transfer fails, and fails every transfer
///         while `failing` is set (ZRX-style).
contract ReturnsFalseToken is WeirdBase {
    bool public failing;

    constructor(uint8 decimals_) WeirdBase("FALSE", decimals_) {}

    function setFailing(bool failing_) external {
        failing = failing_;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (failing || balanceOf[msg.sender] < amount) return false;
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (failing || balanceOf[from] < amount) return false;
        if (from != msg.sender && allowance[from][msg.sender] < amount) return false;
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }
}

/// @notice Burns `feeBps` of every transfer unless the sender or receiver is exempt.
contract FeeOnTransferToken is WeirdBase {
    uint256 public constant feeBps = 100; // 1%
    mapping(address => bool) public exempt;

    constructor(uint8 decimals_) WeirdBase("FEE", decimals_) {}

    function setExempt(address account, bool isExempt) external {
        exempt[account] = isExempt;
    }

    function _move(address from, address to, uint256 amount) internal override returns (uint256) {
        require(balanceOf[from] >= amount, "balance");
        uint256 fee = exempt[from] || exempt[to] ? 0 : amount * feeBps / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
        return amount - fee;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }
}

/// @notice Reverts every transfer while `reverting` is set (paused or blocklisting tokens).
contract RevertingToken is WeirdBase {
    error TransfersDisabled();

    bool public reverting;

    constructor(uint8 decimals_) WeirdBase("REVERT", decimals_) {}

    function setReverting(bool reverting_) external {
        reverting = reverting_;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (reverting) revert TransfersDisabled();
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (reverting) revert TransfersDisabled();
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }
}

/// @notice A malicious token: on a transfer to or from `trigger`, it calls `target` with
///         `payload` once and records whether that call succeeded and how it failed.
contract ReentrantToken is WeirdBase {
    address public trigger;
    address public target;
    bytes public payload;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor(uint8 decimals_) WeirdBase("EVIL", decimals_) {}

    function arm(address trigger_, address target_, bytes calldata payload_) external {
        trigger = trigger_;
        target = target_;
        payload = payload_;
        attempted = false;
    }

    function _move(address from, address to, uint256 amount) internal override returns (uint256) {
        uint256 moved = super._move(from, to, amount);
        if (!attempted && target != address(0) && (from == trigger || to == trigger)) {
            attempted = true;
            (bool ok, bytes memory ret) = target.call(payload);
            reentrySucceeded = ok;
            reentryError = ret;
        }
        return moved;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }
}
