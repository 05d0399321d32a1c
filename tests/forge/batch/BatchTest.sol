// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {BatchSettlement} from "../../../contracts/BatchSettlement.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IBatchSettlement} from "../../../contracts/interfaces/IBatchSettlement.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice Shared setup for the batch suites: four batchable vaults (ascending addresses), each
///         holding 10 A, 1 B and 50 000 USDC, with a 100 bps mandate over A and B.
abstract contract BatchTest is VaultTest {
    BatchSettlement internal batch;
    IndexVault[] internal vs;

    function setUp() public virtual override {
        super.setUp();
        batch = BatchSettlement(factory.batchSettlement());
        for (uint256 i; i < 4; ++i) {
            address o = address(uint160(0x5000 + i));
            IndexVault v = IndexVault(factory.createVault(o, bytes32(0)));
            _batchMandate(v, o, true);
            _fund(address(a), address(v), 10e18);
            _fund(address(b), address(v), 1e8);
            _fund(address(usdc), address(v), 50_000e6);
            vs.push(v);
        }
        // ascending, as settle requires
        for (uint256 i; i < vs.length; ++i) {
            for (uint256 j = i + 1; j < vs.length; ++j) {
                if (address(vs[j]) < address(vs[i])) (vs[i], vs[j]) = (vs[j], vs[i]);
            }
        }
        _age(1 hours);
    }

    function _batchMandate(IndexVault v, address o, bool batchable) internal {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 100_000e6);
        m.batchable = batchable;
        IIndexVault.AllowedPool[] memory pools = new IIndexVault.AllowedPool[](2);
        pools[0] = IIndexVault.AllowedPool({token: address(a), fee: FEE});
        pools[1] = IIndexVault.AllowedPool({token: address(b), fee: FEE});
        vm.prank(o);
        v.setMandate(m, pools);
    }

    /// @dev A keeper leg with the least min-out `v` accepts (read before any swap).
    function _bleg(IndexVault v, address token, uint256 amountIn, bool isSell)
        internal
        view
        returns (IIndexVault.Leg memory)
    {
        (, uint256 floor) = v.oracleQuote(token, FEE, amountIn, isSell);
        return _leg(token, amountIn, floor);
    }

    function _order(IndexVault v, IIndexVault.Leg[] memory sells, IIndexVault.Leg[] memory buys, bytes memory nets)
        internal
        pure
        returns (IBatchSettlement.Order memory)
    {
        return IBatchSettlement.Order({vault: address(v), sells: sells, buys: buys, nets: nets});
    }

    function _none() internal pure returns (IIndexVault.Leg[] memory) {
        return new IIndexVault.Leg[](0);
    }

    /// @dev The one net of A (index 0) in a batch.
    function _netA(bool tokenToUsdc, uint256 amountIn) internal view returns (IBatchSettlement.Net[] memory nets) {
        nets = new IBatchSettlement.Net[](1);
        nets[0] = IBatchSettlement.Net({token: address(a), fee: FEE, tokenToUsdc: tokenToUsdc, amountIn: amountIn});
    }

    /// @dev The net A swap that clears sellers of `sold` A against buyers paying `paid` USDC at
    ///      about the pool's current price (what an honest keeper computes off-chain).
    function _fairNetA(uint256 sold, uint256 paid) internal returns (bool tokenToUsdc, uint256 amountIn) {
        uint256 soldValue = sold == 0 ? 0 : _quote(address(a), address(usdc), sold);
        if (soldValue >= paid) {
            uint256 crossed = paid == 0 ? 0 : _quote(address(usdc), address(a), paid);
            return (true, sold > crossed ? sold - crossed : 1);
        }
        uint256 crossedUsdc = soldValue;
        return (false, paid - crossedUsdc);
    }

    function _settle(IBatchSettlement.Net[] memory nets, IBatchSettlement.Order[] memory orders) internal {
        vm.prank(keeper);
        batch.settle(nets, orders, block.timestamp);
    }

    function _assertBatchEmpty() internal view {
        assertEq(IERC20(address(a)).balanceOf(address(batch)), 0, "no A left in the batch");
        assertEq(IERC20(address(b)).balanceOf(address(batch)), 0, "no B left in the batch");
        assertEq(usdc.balanceOf(address(batch)), 0, "no USDC left in the batch");
    }

    function _one() internal pure returns (bytes memory) {
        return hex"00";
    }
}
